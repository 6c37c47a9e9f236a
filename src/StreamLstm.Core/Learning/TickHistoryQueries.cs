using System.Runtime.InteropServices;
using StreamLstm.Ticks;

namespace StreamLstm.Learning;

/// <summary>
/// The reads of a <see cref="TickHistory"/>'s held ticks and counts, safe from any thread while the appending thread
/// goes on: each copies what it returns under the symbol table's lock (a snapshot one symbol at a time).
/// </summary>
internal sealed class TickHistoryQueries(SymbolTable symbols)
{
    /// <inheritdoc cref="TickHistory.Newest"/>
    public DateTime? Newest
    {
        get
        {
            lock (symbols.Gate) return symbols.Newest == TickHistory.NoTime ? null : new DateTime(symbols.Newest, DateTimeKind.Utc);
        }
    }

    /// <inheritdoc cref="TickHistory.Ticks"/>
    public long Ticks
    {
        get
        {
            lock (symbols.Gate) return symbols.Held;
        }
    }

    /// <inheritdoc cref="TickHistory.Symbols"/>
    public int Symbols
    {
        get
        {
            lock (symbols.Gate) return symbols.Count;
        }
    }

    /// <inheritdoc cref="TickHistory.Recent(string, int, out long)"/>
    public IReadOnlyList<Tick> Recent(string symbol, int count, out long appended)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var ticks = new List<Tick>();
        appended = 0;
        lock (symbols.Gate)
        {
            if (!symbols.TryGetValue(symbol, out var entry)) return [];
            appended = entry.Appended;
            if (count == 0) return [];
            foreach (var ring in entry.Rings) CopyHeld(ring, count, ticks);
            if (entry.Rings.Count == 1) return ticks;
        }
        return ticks.OrderBy(t => t.Timestamp).TakeLast(count).ToList();
    }

    /// <inheritdoc cref="TickHistory.Appended"/>
    public long Appended(string symbol)
    {
        lock (symbols.Gate) return symbols.TryGetValue(symbol, out var entry) ? entry.Appended : 0;
    }

    /// <inheritdoc cref="TickHistory.Count"/>
    public int Count(string symbol)
    {
        lock (symbols.Gate) return symbols.TryGetValue(symbol, out var entry) ? entry.Count : 0;
    }

    /// <inheritdoc cref="TickHistory.Snapshot"/>
    public List<Tick> Snapshot()
    {
        SymbolRing[][] groups;
        long held;
        lock (symbols.Gate)
        {
            held = symbols.Held;
            groups = [.. symbols.Entries.OrderBy(e => e.Order).Select(e => e.Rings.ToArray())];
        }
        var ticks = new List<Tick>((int)Math.Min(held + held / 32 + 1024, Array.MaxLength));
        var offsets = new long[64];
        var times = new long[64];
        var prices = new double[64];
        var extras = new TickExtras[64];
        foreach (var rings in groups)
        {
            int start = ticks.Count;
            foreach (var ring in rings)
            {
                // Copied under the lock as raw values and turned into ticks outside it, so Append waits for one
                // symbol's copy at most.
                int n;
                lock (symbols.Gate)
                {
                    if (ring.Removed) continue;
                    n = ring.Count;
                    if (times.Length < n)
                    {
                        times = new long[Math.Max(n, times.Length * 2)];
                        prices = new double[times.Length];
                        offsets = new long[times.Length];
                        extras = new TickExtras[times.Length];
                    }
                    ring.CopyOldest(n, offsets, times, prices, extras);
                }
                int at = ticks.Count;
                CollectionsMarshal.SetCount(ticks, at + n);
                var into = CollectionsMarshal.AsSpan(ticks)[at..];
                for (int i = 0; i < n; i++) into[i] = extras[i].With(ring.Symbol, times[i], prices[i]);
            }
            if (rings.Length > 1)
            {
                var merged = ticks.GetRange(start, ticks.Count - start).OrderBy(t => t.Timestamp).ToList();
                ticks.RemoveRange(start, merged.Count);
                ticks.AddRange(merged);
            }
        }
        return ticks;
    }

    private static void CopyHeld(SymbolRing ring, int most, List<Tick> into)
    {
        if (ring.Removed) return;
        for (int age = Math.Max(0, ring.Count - most); age < ring.Count; age++)
            into.Add(ring.TickAt(age));
    }
}
