using System.Diagnostics.CodeAnalysis;

namespace StreamLstm.Learning;

/// <summary>
/// The symbols of a <see cref="TickHistory"/> over all its open partitions: each symbol's entry and rings, the ticks
/// held and the newest of them, and each symbol's age bound. <see cref="Gate"/> guards all of it and the rings' ticks;
/// only the appending thread changes them.
/// </summary>
internal sealed class SymbolTable(long maxAge)
{
    /// <summary>The lock that every reader and writer of the table and of its rings holds.</summary>
    public readonly Lock Gate = new();

    private readonly Dictionary<string, SymbolEntry> _entries = new(StringComparer.Ordinal);
    private long _nextOrder;

    /// <summary>Ticks held over all rings.</summary>
    public long Held;

    /// <summary>Newest event time held over all symbols, or <see cref="TickHistory.NoTime"/> when nothing is held.</summary>
    public long Newest = TickHistory.NoTime;

    /// <summary>Whether a trim emptied a ring since the rings were last cleared out; only the appending thread sets it.</summary>
    public bool Emptied;

    /// <summary>Symbols held.</summary>
    public int Count => _entries.Count;

    /// <summary>The entries, in no particular order.</summary>
    public Dictionary<string, SymbolEntry>.ValueCollection Entries => _entries.Values;

    public bool TryGetValue(string symbol, [MaybeNullWhen(false)] out SymbolEntry entry) => _entries.TryGetValue(symbol, out entry);

    public SymbolEntry? GetValueOrDefault(string symbol) => _entries.GetValueOrDefault(symbol);

    /// <summary>The symbol's age bound: its ticks older than this are dropped, and such ticks arriving ignored.</summary>
    public long Cutoff(SymbolEntry entry) => entry.Newest == TickHistory.NoTime ? TickHistory.NoTime : entry.Newest - maxAge;

    /// <summary>Adds the ring to its symbol's entry, adding the entry when the symbol is new.</summary>
    public void Register(SymbolRing ring)
    {
        if (!_entries.TryGetValue(ring.Symbol, out var entry))
            _entries.Add(ring.Symbol, entry = new SymbolEntry(_nextOrder++));
        entry.Rings.Add(ring);
        ring.Entry = entry;
        if (ring.Count > 0 && ring.Last > entry.Newest) entry.Newest = ring.Last;
    }

    /// <summary>Removes the ring from its symbol's entry, and the entry when it was the symbol's last ring.</summary>
    public void Unregister(SymbolRing ring)
    {
        ring.Removed = true;
        var entry = ring.Entry;
        entry.Rings.Remove(ring);
        if (entry.Rings.Count == 0)
        {
            _entries.Remove(ring.Symbol);
            return;
        }
        // The symbol's newest tick may have been this ring's: the rings left are bounded from their own newest on.
        entry.Newest = TickHistory.NoTime;
        foreach (var other in entry.Rings)
        {
            if (other.Count > 0 && other.Last > entry.Newest) entry.Newest = other.Last;
        }
    }

    /// <summary>Unregisters the ring, and removes it from its partition's symbols, when it holds no tick.</summary>
    public bool RemoveIfEmpty(SymbolRing ring)
    {
        if (ring.Count > 0) return false;
        ring.Owner.BySymbol.Remove(ring.Symbol);
        Unregister(ring);
        return true;
    }

    /// <summary>Drops the ticks of every ring of the symbol that are older than its age bound.</summary>
    public void Trim(SymbolEntry entry)
    {
        long cutoff = Cutoff(entry);
        foreach (var ring in entry.Rings)
        {
            if (ring.Count == 0 || ring.Oldest >= cutoff) continue;
            int dropped = ring.DropBefore(cutoff);
            ring.Owner.Live -= dropped;
            Held -= dropped;
            if (ring.Count == 0) Emptied = true;
        }
    }

    /// <summary>Measures <see cref="Newest"/> again over the symbols left, after a partition's rings were unregistered.</summary>
    public void RefreshNewest()
    {
        Newest = TickHistory.NoTime;
        foreach (var entry in _entries.Values)
        {
            if (entry.Newest > Newest) Newest = entry.Newest;
        }
    }
}
