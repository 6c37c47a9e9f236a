namespace StreamLstm.Ingest;

/// <summary>
/// Tracks, per partition, the offsets handed out and the ones done (points accepted, or dead letter acknowledged), and
/// reports the offset to store: one past the longest done prefix, so a restart never skips an unfinished message.
/// Thread-safe.
/// </summary>
public sealed class OffsetTracker
{
    private readonly Dictionary<int, PartitionOffsets> _partitions = [];
    private readonly object _gate = new();

    /// <summary>Records that <paramref name="position"/> was handed out and is not done yet.</summary>
    public void Track(SourcePosition position)
    {
        lock (_gate)
        {
            if (!_partitions.TryGetValue(position.Partition, out var p) || p.Epoch != position.Epoch)
                _partitions[position.Partition] = p = new PartitionOffsets(position.Epoch);
            p.Pending.Enqueue(position.Offset);
        }
    }

    /// <summary>
    /// Marks <paramref name="positions"/> done; returns, per partition that advanced, the next offset to consume
    /// (the offset to store). Positions of partitions no longer tracked, or tracked in another ownership (epoch), are
    /// ignored: an offset done before a revocation says nothing of the same offset consumed again afterwards.
    /// </summary>
    public List<SourcePosition> Complete(IEnumerable<SourcePosition> positions)
    {
        var advanced = new List<SourcePosition>();
        lock (_gate)
        {
            var touched = new HashSet<int>();
            foreach (var position in positions)
            {
                if (!_partitions.TryGetValue(position.Partition, out var p) || p.Epoch != position.Epoch) continue;
                p.Done.Add(position.Offset);
                touched.Add(position.Partition);
            }
            foreach (var partition in touched)
            {
                var p = _partitions[partition];
                long next = -1;
                while (p.Pending.Count > 0 && p.Done.Remove(p.Pending.Peek()))
                    next = p.Pending.Dequeue() + 1;
                if (next < 0) continue;
                p.Next = next;
                advanced.Add(new SourcePosition(partition, next));
            }
        }
        return advanced;
    }

    /// <summary>
    /// One past the longest done prefix of <paramref name="partition"/> in ownership <paramref name="epoch"/>: every
    /// message before it is done. -1 when none is, or the partition is not tracked in that ownership.
    /// </summary>
    public long DoneBefore(int partition, int epoch)
    {
        lock (_gate)
            return _partitions.TryGetValue(partition, out var p) && p.Epoch == epoch ? p.Next : -1;
    }

    /// <summary>Forgets partitions (revoked or lost): their unfinished messages are left to the next owner.</summary>
    public void Forget(IEnumerable<int> partitions)
    {
        lock (_gate)
        {
            foreach (var partition in partitions) _partitions.Remove(partition);
        }
    }

    /// <summary>Messages handed out and not yet done, over all partitions.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate) return _partitions.Values.Sum(p => p.Pending.Count);
        }
    }

    private sealed class PartitionOffsets(int epoch)
    {
        public int Epoch { get; } = epoch;

        public Queue<long> Pending { get; } = new();
        public HashSet<long> Done { get; } = [];
        public long Next { get; set; } = -1;
    }
}
