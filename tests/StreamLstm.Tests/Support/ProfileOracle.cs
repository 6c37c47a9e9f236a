using System.Globalization;

namespace StreamLstm.Tests.Support;

/// <summary>A point as written (line protocol) or as read back from InfluxDB, for comparing whole outputs.</summary>
internal sealed record ProfilePoint(string Measurement, IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, double> Fields, long Time)
{
    /// <summary>A line of line protocol, taken apart (for test symbols, which need no escaping).</summary>
    public static ProfilePoint Parse(string line)
    {
        var parts = line.Split(' ');
        var head = parts[0].Split(',');
        var tags = head.Skip(1).Select(t => t.Split('=')).ToDictionary(t => t[0], t => t[1]);
        var fields = parts[1].Split(',').Select(f => f.Split('=')).ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture));
        return new ProfilePoint(head[0], tags, fields, long.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>What identifies the point in InfluxDB: measurement, tags, time.</summary>
    public string Key => $"{Measurement},{string.Join(',', Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"))} {Time}";

    /// <summary>The key and every field, to the last bit.</summary>
    public string Text => $"{Key} {string.Join(',', Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value.ToString("R", CultureInfo.InvariantCulture)}"))}";
}

/// <summary>
/// What the lean output profiles should write, derived from what the <c>full</c> profile wrote for the same ticks, by
/// the rules the README gives, independently of the product's code.
/// </summary>
internal static class ProfileOracle
{
    /// <summary>The texts of the points of <paramref name="measurement"/>, ordered.</summary>
    public static List<string> Texts(IEnumerable<ProfilePoint> points, string measurement) =>
        points.Where(p => p.Measurement == measurement).Select(p => p.Text).Order(StringComparer.Ordinal).ToList();

    private static long IntervalEnd(long time, long interval) => (time / interval + 1) * interval;

    /// <summary>
    /// The <c>skill</c> points: the full run's <c>forecast_error</c> points summed per symbol, horizon, model and skill
    /// interval (time: the interval's end), in time order, leaving out each symbol's last interval, which no later tick of
    /// the symbol has closed.
    /// </summary>
    public static List<ProfilePoint> Skill(IReadOnlyCollection<ProfilePoint> full, long intervalNs)
    {
        var lastEnd = full.Where(p => p.Measurement == "price")
            .GroupBy(p => p.Tags["symbol"]).ToDictionary(g => g.Key, g => IntervalEnd(g.Max(p => p.Time), intervalNs));
        var sums = new Dictionary<(string Symbol, string Horizon, string Model, long End), double[]>();
        foreach (var p in full.Where(p => p.Measurement == "forecast_error").OrderBy(p => p.Time))
        {
            long end = IntervalEnd(p.Time, intervalNs);
            if (end == lastEnd[p.Tags["symbol"]]) continue;
            var key = (p.Tags["symbol"], p.Tags["horizon"], p.Tags["model"], end);
            if (!sums.TryGetValue(key, out var s)) sums[key] = s = new double[4];
            s[0] += p.Fields["abs_error"];
            s[1] += p.Fields["naive_abs_error"];
            s[2] += p.Fields["covered"];
            s[3]++;
        }
        return sums.Select(kv => new ProfilePoint("skill",
            new Dictionary<string, string> { ["horizon"] = kv.Key.Horizon, ["model"] = kv.Key.Model, ["symbol"] = kv.Key.Symbol },
            new Dictionary<string, double> { ["abs_error"] = kv.Value[0], ["naive_abs_error"] = kv.Value[1], ["covered"] = kv.Value[2], ["n"] = kv.Value[3] },
            kv.Key.End)).ToList();
    }

    /// <summary>
    /// The <c>forecast</c> points of the lean profile: per symbol, a forecast's points are kept when it was made at least
    /// <paramref name="minIntervalNs"/> after the last one kept, for <paramref name="horizons"/> only.
    /// </summary>
    public static List<ProfilePoint> Thinned(IReadOnlyCollection<ProfilePoint> full, long minIntervalNs, IReadOnlyCollection<string> horizons)
    {
        var kept = new List<ProfilePoint>();
        foreach (var symbol in full.Where(p => p.Measurement == "forecast").GroupBy(p => p.Tags["symbol"]))
        {
            long next = long.MinValue;
            foreach (var made in symbol.GroupBy(p => p.Time).OrderBy(g => g.Key))
            {
                if (made.Key < next) continue;
                next = made.Key + minIntervalNs;
                kept.AddRange(made.Where(p => horizons.Contains(p.Tags["horizon"])));
            }
        }
        return kept;
    }
}
