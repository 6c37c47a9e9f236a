namespace StreamLstm.Ingest;

/// <summary>Where a message came from: its partition and offset in the tick topic.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Offset">The offset in it.</param>
/// <param name="Epoch">
/// Which ownership of the partition it was consumed in: the consumer counts the times each partition was revoked or
/// lost, so a message consumed before a revocation is told apart from the same offset consumed again after the
/// partition came back (it is discarded, and its acknowledgement ignored).
/// </param>
public readonly record struct SourcePosition(int Partition, long Offset, int Epoch = 0);
