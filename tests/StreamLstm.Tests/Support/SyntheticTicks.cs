using StreamLstm.Ticks;

namespace StreamLstm.Tests.Support;

/// <summary>Price series generated in the test, so tests need no data file.</summary>
internal static class SyntheticTicks
{
    /// <summary>
    /// Interleaved symbols whose log returns follow r_t = phi * r_{t-1} + sigma_t * e_t with GARCH-like volatility;
    /// phi = 0 is a random walk (nothing to learn beyond volatility).
    /// </summary>
    public static List<Tick> Generate(int symbols, int ticksPerSymbol, int seed, double phi = 0.0, double sigma = 0.01, TimeSpan? step = null)
    {
        var random = new Random(seed);
        var dt = step ?? TimeSpan.FromMinutes(1);
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var prices = Enumerable.Range(0, symbols).Select(i => 50.0 + 10 * i).ToArray();
        var lastReturn = new double[symbols];
        var variance = Enumerable.Repeat(sigma * sigma, symbols).ToArray();
        var ticks = new List<Tick>(symbols * ticksPerSymbol);
        for (int t = 0; t < ticksPerSymbol; t++)
        {
            for (int s = 0; s < symbols; s++)
            {
                if (t > 0)
                {
                    double shock = Math.Sqrt(variance[s]) * Normal(random);
                    double r = phi * lastReturn[s] + shock;
                    variance[s] = 0.05 * sigma * sigma + 0.10 * shock * shock + 0.85 * variance[s];
                    lastReturn[s] = r;
                    prices[s] *= Math.Exp(r);
                }
                ticks.Add(new Tick($"S{s}", start + dt * t, prices[s], 100));
            }
        }
        return ticks;
    }

    public static double Normal(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Writes ticks as a CSV with the documented columns (docs/reference.md, "CSV of prices").</summary>
    public static void WriteCsv(string path, IEnumerable<Tick> ticks)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("timestamp,symbol,price,volume");
        foreach (var t in ticks)
            writer.WriteLine(FormattableString.Invariant($"{t.Timestamp:yyyy-MM-ddTHH:mm:ss.fffZ},{t.Symbol},{t.Price:R},{t.Volume}"));
    }
}
