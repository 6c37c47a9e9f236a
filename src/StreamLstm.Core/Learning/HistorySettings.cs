using System.ComponentModel.DataAnnotations;

namespace StreamLstm.Learning;

/// <summary>How much tick history the worker keeps per symbol, and where (configuration section <c>History</c>).</summary>
public sealed record HistorySettings
{
    /// <summary>Folder of the per-partition history files, relative to the working directory unless rooted. Default <c>history</c>.</summary>
    public string Directory { get; init; } = "history";

    /// <summary>Most ticks kept per symbol; the oldest go first. Default 10,000.</summary>
    [Range(100, 10_000_000)]
    public int MaxTicksPerSymbol { get; init; } = 10_000;

    /// <summary>
    /// A symbol's ticks older than its own newest held tick (in event time) minus this are dropped, and such ticks
    /// arriving are ignored. Each symbol is measured from its own newest tick, so a tick stamped far ahead moves only
    /// its own symbol's bound. Default 730 days.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(730);

    /// <summary>
    /// Most ticks of its history a symbol is replayed over when first seen after a (re)start, to rebuild its features,
    /// recurrent state, interval calibration and skill gate. Default 1,000.
    /// </summary>
    [Range(0, 10_000_000)]
    public int RewarmTicks { get; init; } = DefaultRewarmTicks;

    /// <summary>The default of <see cref="RewarmTicks"/>.</summary>
    public const int DefaultRewarmTicks = 1_000;

    /// <summary>Throws <see cref="ValidationException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
            throw new ValidationException("History:Directory must not be empty");
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (MaxAge <= TimeSpan.Zero)
            throw new ValidationException($"History:MaxAge ({MaxAge}) must be positive");
    }
}
