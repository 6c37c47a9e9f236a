namespace StreamLstm.Learning;

/// <summary>
/// One symbol of a <see cref="TickHistory"/> over all its open partitions: its rings (one a partition that holds it),
/// the order it first appeared in, and its newest tick.
/// </summary>
internal sealed class SymbolEntry(long order)
{
    public readonly long Order = order;
    public readonly List<SymbolRing> Rings = new(1);

    /// <summary>The newest event time over the symbol's rings, which its age bound is measured from.</summary>
    public long Newest = TickHistory.NoTime;

    /// <summary>Ticks ever added to the symbol's rings (see <see cref="SymbolRing.Appended"/>).</summary>
    public long Appended
    {
        get
        {
            long appended = 0;
            foreach (var ring in Rings) appended += ring.Appended;
            return appended;
        }
    }

    /// <summary>Ticks held in the symbol's rings.</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (var ring in Rings) count += ring.Count;
            return count;
        }
    }
}
