using StreamLstm.Ticks;

namespace StreamLstm.Bench;

/// <summary>What the suites share: the median of repeated measurements and generated price ticks.</summary>
internal static class Measure
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>Symbols <c>S0000</c>, <c>S0001</c>, ... interleaved one tick each per second, random-walk prices.</summary>
    public static List<Tick> Ticks(int symbols, int perSymbol, int seed)
    {
        var random = new Random(seed);
        var prices = Enumerable.Repeat(100.0, symbols).ToArray();
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var ticks = new List<Tick>(symbols * perSymbol);
        for (int t = 0; t < perSymbol; t++)
            for (int s = 0; s < symbols; s++)
            {
                prices[s] *= Math.Exp(0.01 * (random.NextDouble() - 0.5));
                ticks.Add(new Tick($"S{s:D4}", start.AddSeconds(t), prices[s]));
            }
        return ticks;
    }
}
