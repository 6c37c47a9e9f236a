using System.Globalization;
using System.Runtime.InteropServices;
using StreamLstm.Ticks;

namespace StreamLstm.Ingest;

/// <summary>
/// The checks a parsed tick passes before it is queued for forecasting, on the consume thread: its time is at most
/// <see cref="TickSettings.MaxClockSkew"/> ahead of the wall clock (a tick from the future would make every later
/// tick of its symbol late), and its symbol is one the worker keeps state for, or a new one while fewer than
/// <c>Serving:MaxSymbols</c> are kept (a producer inventing symbols cannot grow memory without bound). The symbols of
/// revoked or lost partitions are forgotten, as their state is. Not thread-safe: the consume thread uses it.
/// </summary>
public sealed class TickAdmission(TickSettings rules, int maxSymbols, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    // Symbol -> the partition its last tick came on; a symbol's state is dropped with that partition.
    private readonly Dictionary<string, int> _symbols = new(StringComparer.Ordinal);

    /// <summary>Symbols admitted on partitions still assigned.</summary>
    public int Symbols => _symbols.Count;

    /// <summary>The most symbols admitted at once.</summary>
    public int MaxSymbols { get; } = maxSymbols > 0 ? maxSymbols : throw new ArgumentOutOfRangeException(nameof(maxSymbols), maxSymbols, "at least 1");

    /// <summary>Null when <paramref name="tick"/> may be forecast; otherwise why not, for its dead letter.</summary>
    public Refusal? Admit(in Tick tick, int partition)
    {
        if (rules.Ahead(tick.Timestamp, _clock.GetUtcNow().UtcDateTime) is { } ahead)
            return new Refusal(RefusalKind.Future, "'ts' " + ahead);
        ref int known = ref CollectionsMarshal.GetValueRefOrNullRef(_symbols, tick.Symbol);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref known))
        {
            known = partition;
            return null;
        }
        if (_symbols.Count >= MaxSymbols)
        {
            return new Refusal(RefusalKind.TooManySymbols,
                $"symbol '{tick.Symbol}' is new and the worker already keeps state for Serving:MaxSymbols ({MaxSymbols.ToString("N0", CultureInfo.InvariantCulture)}) symbols");
        }
        _symbols.Add(tick.Symbol, partition);
        return null;
    }

    /// <summary>Forgets the symbols whose last tick came on one of <paramref name="partitions"/> (revoked or lost).</summary>
    public void Forget(IReadOnlyCollection<int> partitions)
    {
        foreach (var (symbol, partition) in _symbols)
            if (partitions.Contains(partition)) _symbols.Remove(symbol);
    }

    /// <summary>Why a tick was refused.</summary>
    public readonly record struct Refusal(RefusalKind Kind, string Reason);

    /// <summary>Which check refused a tick.</summary>
    public enum RefusalKind
    {
        /// <summary>Its time is too far ahead of the wall clock.</summary>
        Future,

        /// <summary>Its symbol is new and the worker keeps state for as many symbols as it may.</summary>
        TooManySymbols,
    }
}
