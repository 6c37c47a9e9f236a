using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace StreamLstm.Sink;

/// <summary>
/// What the worker writes to InfluxDB for each tick (configuration section <c>Sink</c>). The serving state advances on
/// every tick whatever the profile; only the writing is thinned, and the forecast topic (<c>Kafka:ForecastTopic</c>)
/// still gets every served forecast.
/// <list type="bullet">
/// <item><c>full</c> (default): per tick, its <c>price</c>, a <c>forecast</c> per horizon and a <c>forecast_error</c>
/// per resolved forecast.</item>
/// <item><c>skill</c>: as <c>full</c>, but the forecast errors are summed per symbol, horizon and model over
/// <see cref="SkillInterval"/> of event time into <c>skill</c> points instead of one point per tick.</item>
/// <item><c>lean</c>: as <c>skill</c>, and forecasts only for <see cref="Horizons"/>, at most one per symbol per
/// <see cref="MinInterval"/> of event time.</item>
/// </list>
/// </summary>
public sealed record OutputSettings
{
    /// <summary>The profiles, in order from the most written to the least.</summary>
    public static readonly string[] Profiles = ["full", "skill", "lean"];

    /// <summary><c>full</c>, <c>skill</c> or <c>lean</c>. Default <c>full</c>.</summary>
    public string Profile { get; init; } = "full";

    /// <summary>
    /// The event-time interval the <c>skill</c> points sum over (profiles <c>skill</c> and <c>lean</c>), aligned to the
    /// Unix epoch. Default 00:01:00.
    /// </summary>
    public TimeSpan SkillInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The horizons whose forecasts are written, comma-separated (profile <c>lean</c> only). Default <c>1</c>.</summary>
    public string? Horizons { get; init; }

    /// <summary>Shortest event time between two forecast points of one symbol (profile <c>lean</c> only). Default 00:00:01.</summary>
    public TimeSpan? MinInterval { get; init; }

    private const string LeanHorizons = "1";
    private static readonly TimeSpan LeanMinInterval = TimeSpan.FromSeconds(1);

    /// <summary>Whether each resolved forecast is written as a <c>forecast_error</c> point (else summed into <c>skill</c> points).</summary>
    public bool WritesErrors => Profile == "full";

    /// <summary>Whether forecasts are thinned (profile <c>lean</c>).</summary>
    public bool Thins => Profile == "lean";

    /// <summary><see cref="SkillInterval"/> in nanoseconds.</summary>
    public long SkillIntervalNs => SkillInterval.Ticks * 100;

    /// <summary>Shortest event time between two forecast points of one symbol, in nanoseconds (0: every tick).</summary>
    public long MinIntervalNs => Thins ? (MinInterval ?? LeanMinInterval).Ticks * 100 : 0;

    /// <summary>
    /// Which of the model's <paramref name="horizons"/> horizons get forecast points: <c>written[h]</c> for horizon
    /// h + 1. When <see cref="Horizons"/> names one the model does not forecast, throws if <paramref name="strict"/>
    /// (at start), else leaves it out (a model of fewer horizons swapped in later).
    /// </summary>
    public bool[] WrittenHorizons(int horizons, bool strict = true)
    {
        var written = new bool[horizons];
        if (!Thins)
        {
            Array.Fill(written, true);
            return written;
        }
        foreach (var h in ParseHorizons(Horizons ?? LeanHorizons))
        {
            if (h > horizons && !strict) continue;
            if (h > horizons)
                throw new ArgumentException($"Sink:Horizons names horizon {h}, but the model forecasts {horizons} horizon{(horizons == 1 ? "" : "s")}");
            written[h - 1] = true;
        }
        return written;
    }

    /// <summary>Throws <see cref="ValidationException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!Profiles.Contains(Profile, StringComparer.Ordinal))
            throw new ValidationException($"Sink:Profile '{Profile}' is not one of {string.Join(", ", Profiles)}");
        if (SkillInterval <= TimeSpan.Zero)
            throw new ValidationException($"Sink:SkillInterval ({SkillInterval}) must be positive");
        if (!Thins && (Horizons is not null || MinInterval is not null))
            throw new ValidationException($"Sink:{(Horizons is not null ? "Horizons" : "MinInterval")} applies only to Sink:Profile=lean, not '{Profile}'");
        if (MinInterval < TimeSpan.Zero)
            throw new ValidationException($"Sink:MinInterval ({MinInterval}) must not be negative");
        if (Horizons is not null) ParseHorizons(Horizons);
    }

    private static List<int> ParseHorizons(string text)
    {
        var horizons = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var h) || h < 1)
                throw new ValidationException($"Sink:Horizons '{text}' must list horizons (1, 2, ...) separated by commas");
            horizons.Add(h);
        }
        return horizons;
    }
}
