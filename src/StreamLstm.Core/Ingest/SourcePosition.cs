namespace StreamLstm.Ingest;

/// <summary>Where a message came from: its partition and offset in the tick topic.</summary>
public readonly record struct SourcePosition(int Partition, long Offset);
