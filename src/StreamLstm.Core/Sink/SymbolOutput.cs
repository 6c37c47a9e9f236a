using System.Text;

namespace StreamLstm.Sink;

/// <summary>
/// What a lean output profile keeps per symbol (see <see cref="OutputSettings"/>): the forecast errors summed over the
/// current skill interval, per horizon and model, and when the symbol's next forecast point may be written. It moves
/// with the symbol's event time only, so the same ticks give the same <c>skill</c> points whatever the batches were, and
/// it is part of the symbol's checkpoint, so a restart does too.
/// </summary>
public sealed class SymbolOutput
{
    private readonly List<Sum> _sums = [];

    /// <summary>The errors of one horizon and model over the interval.</summary>
    private sealed class Sum(int horizon, string model)
    {
        public int Horizon { get; } = horizon;
        public string Model { get; } = model;
        public double AbsError;
        public double NaiveAbsError;
        public long Covered;
        public long Count;
    }

    /// <summary>End of the skill interval being summed, ns since the Unix epoch (long.MinValue: none begun).</summary>
    public long IntervalEnd { get; private set; } = long.MinValue;

    /// <summary>Earliest event time (ns) of the symbol's next written forecast point.</summary>
    public long NextForecast { get; private set; } = long.MinValue;

    /// <summary>
    /// Moves to the skill interval of a tick at <paramref name="timeNs"/>: when that is past the interval being summed,
    /// its <c>skill</c> points are appended to <paramref name="lines"/> (time: the interval's end) and the sums start
    /// again. Returns the points appended.
    /// </summary>
    public int Advance(StringBuilder lines, string symbol, long timeNs, long intervalNs)
    {
        if (timeNs < IntervalEnd) return 0;
        int points = 0;
        foreach (var sum in _sums)
        {
            LineProtocol.Skill(lines, symbol, sum.Horizon, sum.Model, sum.AbsError, sum.NaiveAbsError, sum.Covered, sum.Count, IntervalEnd);
            points++;
        }
        _sums.Clear();
        // Floor division, so that times before the epoch fall in the interval that holds them.
        long index = timeNs / intervalNs - (timeNs % intervalNs < 0 ? 1 : 0);
        IntervalEnd = (index + 1) * intervalNs;
        return points;
    }

    /// <summary>Adds a resolved forecast of <paramref name="horizon"/>, served by <paramref name="model"/>, to the interval's sums.</summary>
    public void Add(int horizon, string model, double absError, double naiveAbsError, bool covered)
    {
        Sum? sum = null;
        foreach (var s in _sums)
            if (s.Horizon == horizon && s.Model == model) { sum = s; break; }
        if (sum is null) _sums.Add(sum = new Sum(horizon, model));
        sum.AbsError += absError;
        sum.NaiveAbsError += naiveAbsError;
        if (covered) sum.Covered++;
        sum.Count++;
    }

    /// <summary>
    /// Whether a forecast made at <paramref name="timeNs"/> is written, at most one per <paramref name="minIntervalNs"/>:
    /// true moves the next allowed time on.
    /// </summary>
    public bool TakeForecast(long timeNs, long minIntervalNs)
    {
        if (timeNs < NextForecast) return false;
        NextForecast = timeNs + minIntervalNs;
        return true;
    }

    /// <summary>Writes the state for a checkpoint.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(IntervalEnd);
        writer.Write(NextForecast);
        writer.Write(_sums.Count);
        foreach (var sum in _sums)
        {
            writer.Write(sum.Horizon);
            writer.Write(sum.Model);
            writer.Write(sum.AbsError);
            writer.Write(sum.NaiveAbsError);
            writer.Write(sum.Covered);
            writer.Write(sum.Count);
        }
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote.</summary>
    public static SymbolOutput ReadFrom(BinaryReader reader)
    {
        var output = new SymbolOutput { IntervalEnd = reader.ReadInt64(), NextForecast = reader.ReadInt64() };
        int count = reader.ReadInt32();
        if (count < 0 || count > 1_000_000) throw new InvalidDataException($"{count} skill sums");
        for (int i = 0; i < count; i++)
        {
            var sum = new Sum(reader.ReadInt32(), reader.ReadString())
            {
                AbsError = reader.ReadDouble(),
                NaiveAbsError = reader.ReadDouble(),
                Covered = reader.ReadInt64(),
                Count = reader.ReadInt64(),
            };
            output._sums.Add(sum);
        }
        return output;
    }
}
