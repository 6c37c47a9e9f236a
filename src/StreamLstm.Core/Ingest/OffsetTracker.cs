namespace StreamLstm.Ingest;

/// <summary>
/// Tracks, per partition, the offsets handed out and the ones done (points accepted, or dead letter acknowledged), and
/// reports the offset to store: one past the longest done prefix, so a restart never skips an unfinished message.
/// Gated by state checkpoints (<see cref="Gated"/>), it reports an offset only once no tick before it is missing from a
/// written checkpoint, so the committed offsets never run ahead of the state. Thread-safe.
/// </summary>
/// <param name="gated">Whether offsets wait for checkpoints (state checkpoints on).</param>
public sealed class OffsetTracker(bool gated = false)
{
    private readonly Dictionary<int, PartitionOffsets> _partitions = [];
    private readonly object _gate = new();

    /// <summary>Whether offsets wait for checkpoints.</summary>
    public bool Gated => gated;

    /// <summary>
    /// Records that <paramref name="position"/> was handed out and is not done yet; <paramref name="tick"/>: it is a tick
    /// for the forecaster (which a checkpoint must cover), not a message that ends as a dead letter.
    /// </summary>
    public void Track(SourcePosition position, bool tick = true)
    {
        lock (_gate)
        {
            if (!_partitions.TryGetValue(position.Partition, out var p) || p.Epoch != position.Epoch)
                _partitions[position.Partition] = p = new PartitionOffsets(position.Epoch);
            p.Pending.Enqueue(position.Offset);
            if (tick) p.LastTick = position.Offset;
        }
    }

    /// <summary>
    /// Marks <paramref name="positions"/> done; returns, per partition whose offset to store advanced, the next offset to
    /// consume (the offset to store). Positions of partitions no longer tracked, or tracked in another ownership (epoch),
    /// are ignored: an offset done before a revocation says nothing of the same offset consumed again afterwards.
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
                while (p.Pending.Count > 0 && p.Done.Remove(p.Pending.Peek()))
                    p.Next = p.Pending.Dequeue() + 1;
                if (Advance(p) is { } next) advanced.Add(new SourcePosition(partition, next));
            }
        }
        return advanced;
    }

    /// <summary>
    /// A checkpoint covering <paramref name="partition"/>'s ticks through <paramref name="through"/>, consumed in
    /// ownership <paramref name="epoch"/>, is written: returns the offset to store now, if it advanced.
    /// </summary>
    public SourcePosition? Checkpointed(int partition, int epoch, long through)
    {
        lock (_gate)
        {
            if (!_partitions.TryGetValue(partition, out var p) || p.Epoch != epoch) return null;
            p.Covered = Math.Max(p.Covered, through);
            return Advance(p) is { } next ? new SourcePosition(partition, next, epoch) : null;
        }
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

    /// <summary>The offset to store for <paramref name="p"/> if it moved past the one stored last.</summary>
    private long? Advance(PartitionOffsets p)
    {
        long next = p.Next;
        // Gated: past the done prefix only when every tick tracked is in a written checkpoint (what follows it ends as
        // dead letters); otherwise just past the newest checkpoint, whose ticks were all done when it was written.
        if (gated && p.LastTick > p.Covered) next = p.Covered >= 0 ? Math.Min(next, p.Covered + 1) : -1;
        if (next <= p.Stored) return null;
        p.Stored = next;
        return next;
    }

    private sealed class PartitionOffsets(int epoch)
    {
        public int Epoch { get; } = epoch;

        public Queue<long> Pending { get; } = new();
        public HashSet<long> Done { get; } = [];

        // One past the done prefix; the offset stored last; the newest tick tracked; the newest tick checkpointed.
        public long Next { get; set; } = -1;
        public long Stored { get; set; } = -1;
        public long LastTick { get; set; } = -1;
        public long Covered { get; set; } = -1;
    }
}
