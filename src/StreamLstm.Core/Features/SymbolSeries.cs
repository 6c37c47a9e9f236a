using StreamLstm.Ticks;

namespace StreamLstm.Features;

/// <summary>
/// One symbol's ticks turned into the model's inputs, step by step, with what is needed to build targets:
/// step t is the symbol's tick t+1 (the first tick has no return). Built with <see cref="SymbolFeatures"/>,
/// the same code the live path runs.
/// </summary>
public sealed class SymbolSeries
{
    private SymbolSeries(string symbol, int length)
    {
        Symbol = symbol;
        Features = new float[length * SymbolFeatures.Count];
        Prices = new double[length];
        Sigmas = new double[length];
        Times = new DateTime[length];
        Warm = new bool[length];
    }

    /// <summary>The symbol.</summary>
    public string Symbol { get; }

    /// <summary>Number of steps.</summary>
    public int Length => Prices.Length;

    /// <summary>Features, row-major [step, feature], all <see cref="SymbolFeatures.Count"/> of them per step.</summary>
    public float[] Features { get; }

    /// <summary>Price of the tick behind each step.</summary>
    public double[] Prices { get; }

    /// <summary>Volatility scale known after each step (the target scale of a forecast made there).</summary>
    public double[] Sigmas { get; }

    /// <summary>Event time of each step.</summary>
    public DateTime[] Times { get; }

    /// <summary>Whether the symbol had seen enough returns at each step to be forecast.</summary>
    public bool[] Warm { get; }

    /// <summary>Steps whose tick carries a quote (bid and ask) or a volume.</summary>
    public int ExtraInputs { get; private set; }

    /// <summary>The first <paramref name="inputs"/> features of <paramref name="steps"/> steps from <paramref name="start"/>, packed.</summary>
    public void CopyFeatures(int start, int steps, int inputs, Span<float> into)
    {
        const int n = SymbolFeatures.Count;
        if (inputs == n)
        {
            Features.AsSpan(start * n, steps * n).CopyTo(into);
            return;
        }
        for (int t = 0; t < steps; t++)
            Features.AsSpan((start + t) * n, inputs).CopyTo(into.Slice(t * inputs, inputs));
    }

    /// <summary>Builds the series of one symbol from its ticks, in time order.</summary>
    public static SymbolSeries From(string symbol, IReadOnlyList<Tick> ticks, int warmup)
    {
        var series = new SymbolSeries(symbol, Math.Max(0, ticks.Count - 1));
        var state = new SymbolFeatures();
        int t = 0;
        foreach (var tick in ticks)
        {
            if (!state.Advance(tick, series.Features.AsSpan(t * SymbolFeatures.Count, SymbolFeatures.Count)))
                continue;
            if (tick.Bid is not null || tick.Volume is not null) series.ExtraInputs++;
            series.Prices[t] = tick.Price;
            series.Sigmas[t] = state.Sigma;
            series.Times[t] = tick.Timestamp;
            series.Warm[t] = state.Returns >= warmup;
            t++;
        }
        return series;
    }

    /// <summary>Groups ticks by symbol (order of first appearance) and builds each symbol's series.</summary>
    public static List<SymbolSeries> FromTicks(IEnumerable<Tick> ticks, int warmup) =>
        GroupBySymbol(ticks).Select(g => From(g.Key, g.Value, warmup)).ToList();

    /// <summary>Ticks per symbol, in order of first appearance, each symbol's ticks in their original order.</summary>
    public static List<KeyValuePair<string, List<Tick>>> GroupBySymbol(IEnumerable<Tick> ticks)
    {
        var groups = new Dictionary<string, List<Tick>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var tick in ticks)
        {
            if (!groups.TryGetValue(tick.Symbol, out var list))
            {
                groups[tick.Symbol] = list = [];
                order.Add(tick.Symbol);
            }
            list.Add(tick);
        }
        return order.Select(s => new KeyValuePair<string, List<Tick>>(s, groups[s])).ToList();
    }

    /// <summary>
    /// The normalized move from step t to step t+h: log(P[t+h]/P[t]) / (sigma_t * sqrt(h)), clipped; null when
    /// t+h is not before <paramref name="end"/> or the symbol is not warm at t.
    /// </summary>
    public float? Target(int t, int h, int end)
    {
        if (t + h >= end || !Warm[t]) return null;
        double z = Math.Log(Prices[t + h] / Prices[t]) / (Sigmas[t] * Math.Sqrt(h));
        return (float)Math.Clamp(z, -SymbolFeatures.Clip, SymbolFeatures.Clip);
    }
}
