using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace StreamLstm.Ticks;

/// <summary>What counts as a usable tick beyond its format (configuration section <c>Ticks</c>).</summary>
public sealed record TickSettings
{
    /// <summary>
    /// How far ahead of the wall clock a tick's <c>ts</c> may be. A tick further ahead is refused (on Kafka: a dead
    /// letter; in a CSV: an error naming the line): accepted, it would make every later tick of its symbol late.
    /// Default 00:05:00.
    /// </summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Late ticks of one symbol in a row after which a warning names the symbol. Default 100.</summary>
    [Range(1, int.MaxValue)]
    public int LateWarning { get; init; } = 100;

    /// <summary>
    /// Null when <paramref name="timestamp"/> is at most <see cref="MaxClockSkew"/> ahead of <paramref name="now"/>;
    /// otherwise why it is refused, to follow the name of the field (<c>'ts' 2099-01-01T00:00:00.000Z is ...</c>).
    /// </summary>
    public string? Ahead(DateTime timestamp, DateTime now)
    {
        var ahead = timestamp - now;
        if (ahead <= MaxClockSkew) return null;
        return $"{TimestampParser.Format(timestamp)} is {Describe(ahead)} ahead of the clock ({TimestampParser.Format(now)}), "
            + $"more than Ticks:MaxClockSkew ({MaxClockSkew.ToString("c", CultureInfo.InvariantCulture)})";
    }

    private static string Describe(TimeSpan span) => span.TotalDays >= 2
        ? $"{Math.Floor(span.TotalDays).ToString("N0", CultureInfo.InvariantCulture)} days"
        : span.TotalHours >= 2
            ? $"{span.TotalHours.ToString("F1", CultureInfo.InvariantCulture)} hours"
            : $"{span.TotalMinutes.ToString("F1", CultureInfo.InvariantCulture)} minutes";

    /// <summary>Throws <see cref="ValidationException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (MaxClockSkew < TimeSpan.Zero)
            throw new ValidationException($"Ticks:MaxClockSkew ({MaxClockSkew}) must not be negative");
    }
}
