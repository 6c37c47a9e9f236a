namespace StreamLstm.State;

/// <summary>
/// One checkpoint of the serving state, taken on the forecast loop between two micro-batches: per partition, the
/// records of the symbols that changed since the last checkpoint and the offset through which it covers the
/// partition. It may be written to the changelog once every tick through those offsets has its points acknowledged.
/// </summary>
/// <param name="Partitions">The partitions it covers.</param>
public sealed record StateCheckpoint(IReadOnlyList<PartitionCheckpoint> Partitions)
{
    /// <summary>Symbol records in all.</summary>
    public int Records => Partitions.Sum(p => p.Records.Count);

    /// <summary>Bytes of state in all.</summary>
    public long Bytes => Partitions.Sum(p => p.Records.Sum(r => (long)r.Value.Length));
}

/// <summary>A partition's part of a <see cref="StateCheckpoint"/>.</summary>
/// <param name="Partition">The input partition (and the changelog partition its records go to).</param>
/// <param name="Epoch">The ownership of the partition the ticks were consumed in (see <see cref="Ingest.SourcePosition.Epoch"/>).</param>
/// <param name="Through">The newest offset of the partition processed: every tick at or before it is covered.</param>
/// <param name="Records">Per changed symbol, its state (<see cref="SymbolStateCodec"/>).</param>
public sealed record PartitionCheckpoint(int Partition, int Epoch, long Through, IReadOnlyList<KeyValuePair<string, byte[]>> Records);
