namespace StreamLstm.Learning;

/// <summary>
/// One symbol's ticks in one partition of a <see cref="TickHistory"/>, oldest first, growing up to its capacity; once
/// full, each tick added drops the oldest. Once its partition is open, the history's lock guards it.
/// </summary>
internal sealed class SymbolRing(HistoryPartition owner, string symbol, byte[] utf8, int capacity)
{
    public readonly HistoryPartition Owner = owner;
    public readonly string Symbol = symbol;
    public readonly byte[] Utf8 = utf8;
    private long[] _offsets = new long[Math.Min(capacity, 16)];
    private long[] _times = new long[Math.Min(capacity, 16)];
    private double[] _prices = new double[Math.Min(capacity, 16)];
    // Volumes and quotes, from the first tick that carries one (a price-only feed costs nothing more).
    private TickExtras[]? _extras;
    private int _head;

    public int Count { get; private set; }

    /// <summary>Ticks ever added, so a compaction can tell the ticks it must copy from those appended after it started.</summary>
    public long Appended { get; private set; }

    public bool Removed { get; set; }

    /// <summary>The symbol's entry, set when the ring is registered.</summary>
    public SymbolEntry Entry { get; set; } = null!;

    public long Last => TimeAt(Count - 1);

    public long Oldest => _times[_head];

    public long TimeAt(int age) => _times[Slot(age)];

    public double PriceAt(int age) => _prices[Slot(age)];

    public TickExtras ExtrasAt(int age) => _extras?[Slot(age)] ?? TickExtras.None;

    /// <summary>The tick at <paramref name="age"/> (0 is the oldest).</summary>
    public Ticks.Tick TickAt(int age) => ExtrasAt(age).With(Symbol, TimeAt(age), PriceAt(age));

    /// <summary>Adds a tick; returns 1 when the oldest was dropped to make room, else 0.</summary>
    public int Add(long offset, long time, double price, in TickExtras extras)
    {
        Appended++;
        if (_extras is null && extras.Any)
        {
            _extras = new TickExtras[_times.Length];
            Array.Fill(_extras, TickExtras.None);
        }
        if (Count == _times.Length)
        {
            if (Count == capacity)
            {
                Set(_head, offset, time, price, extras);
                _head = _head + 1 == _times.Length ? 0 : _head + 1;
                return 1;
            }
            Grow();
        }
        Set(Slot(Count), offset, time, price, extras);
        Count++;
        return 0;
    }

    private void Set(int slot, long offset, long time, double price, in TickExtras extras)
    {
        _offsets[slot] = offset;
        _times[slot] = time;
        _prices[slot] = price;
        if (_extras is not null) _extras[slot] = extras;
    }

    /// <summary>Drops the ticks older than <paramref name="cutoff"/>; returns how many.</summary>
    public int DropBefore(long cutoff)
    {
        int dropped = 0;
        while (Count > 0 && _times[_head] < cutoff)
        {
            _head = _head + 1 == _times.Length ? 0 : _head + 1;
            Count--;
            dropped++;
        }
        return dropped;
    }

    public void CopyOldest(int n, long[] offsets, long[] times, double[] prices, TickExtras[] extras)
    {
        for (int age = 0; age < n; age++)
        {
            int slot = Slot(age);
            offsets[age] = _offsets[slot];
            times[age] = _times[slot];
            prices[age] = _prices[slot];
            extras[age] = _extras?[slot] ?? TickExtras.None;
        }
    }

    private int Slot(int age)
    {
        int slot = _head + age;
        return slot >= _times.Length ? slot - _times.Length : slot;
    }

    private void Grow()
    {
        int length = (int)Math.Min(capacity, _times.Length * 2L);
        var offsets = new long[length];
        var times = new long[length];
        var prices = new double[length];
        var extras = _extras is null ? null : new TickExtras[length];
        for (int age = 0; age < Count; age++)
        {
            offsets[age] = _offsets[Slot(age)];
            times[age] = TimeAt(age);
            prices[age] = PriceAt(age);
            if (extras is not null) extras[age] = ExtrasAt(age);
        }
        _offsets = offsets;
        _times = times;
        _prices = prices;
        _extras = extras;
        _head = 0;
    }
}
