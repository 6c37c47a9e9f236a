using System.ComponentModel.DataAnnotations;

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

    /// <summary>Throws <see cref="ValidationException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (MaxClockSkew < TimeSpan.Zero)
            throw new ValidationException($"Ticks:MaxClockSkew ({MaxClockSkew}) must not be negative");
    }
}
