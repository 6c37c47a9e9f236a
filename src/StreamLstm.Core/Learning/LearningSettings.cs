using System.ComponentModel.DataAnnotations;

namespace StreamLstm.Learning;

/// <summary>How the worker keeps learning from the stream it serves (configuration section <c>Learning</c>).</summary>
public sealed record LearningSettings
{
    /// <summary>Whether the worker retrains at all. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Time between scheduled retrains (<c>hh:mm:ss</c>). Default 01:00:00.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How often the retraining loop looks for a reason to train (a drift signal, or, at cold start, enough history for
    /// a first model). Default 00:00:05.
    /// </summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Ticks the history must hold before a model is trained. Default 2,000.</summary>
    [Range(100, int.MaxValue)]
    public int MinTicks { get; init; } = 2_000;

    /// <summary>
    /// The most recent share of each symbol's history held out of training: challenger and champion are both
    /// evaluated walk-forward on it. Default 0.2.
    /// </summary>
    [Range(0.05, 0.5)]
    public double HoldoutFraction { get; init; } = 0.2;

    /// <summary>
    /// A challenger is promoted only when its held-out rel_mae is below both the champion's and naive's (1) by this
    /// share. Default 0.001.
    /// </summary>
    [Range(0.0, 0.5)]
    public double PromotionMargin { get; init; } = 0.001;

    /// <summary>Lowest held-out coverage of the 80% interval a challenger may have to be promoted. Default 0.75.</summary>
    [Range(0.0, 1.0)]
    public double CoverageMin { get; init; } = 0.75;

    /// <summary>Highest held-out coverage of the 80% interval a challenger may have to be promoted. Default 0.85.</summary>
    [Range(0.0, 1.0)]
    public double CoverageMax { get; init; } = 0.85;

    /// <summary>
    /// CPU threads training may use (TorchSharp's intra-op threads; it runs on one thread of its own beside the
    /// consume and forecast threads). Default 1.
    /// </summary>
    [Range(1, 256)]
    public int Threads { get; init; } = 1;

    /// <summary>Longest a retraining may train (the best epoch so far is kept). Default 00:10:00.</summary>
    public TimeSpan MaxTrainingTime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Page-Hinkley tolerance: changes of the monitored means smaller than this are ignored. Default 0.1.</summary>
    [Range(0.0, 10.0)]
    public double DriftDelta { get; init; } = 0.1;

    /// <summary>Page-Hinkley threshold (lambda): how much accumulated excess signals drift. Default 100.</summary>
    [Range(0.001, 1e9)]
    public double DriftThreshold { get; init; } = 100;

    /// <summary>Least time between the end of one retraining and a retraining started by drift. Default 00:10:00.</summary>
    public TimeSpan DriftCooldown { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Throws <see cref="ValidationException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        try
        {
            Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        }
        catch (ValidationException ex)
        {
            throw new ValidationException($"Learning:{ex.ValidationResult.MemberNames.FirstOrDefault()}: {ex.Message}");
        }
        if (Interval <= TimeSpan.Zero) throw new ValidationException("Learning:Interval must be positive (hh:mm:ss)");
        if (CheckInterval <= TimeSpan.Zero) throw new ValidationException("Learning:CheckInterval must be positive (hh:mm:ss)");
        if (MaxTrainingTime <= TimeSpan.Zero) throw new ValidationException("Learning:MaxTrainingTime must be positive (hh:mm:ss)");
        if (DriftCooldown < TimeSpan.Zero) throw new ValidationException("Learning:DriftCooldown must not be negative");
        if (CoverageMin > CoverageMax)
            throw new ValidationException($"Learning:CoverageMin ({CoverageMin}) must not exceed Learning:CoverageMax ({CoverageMax})");
    }
}
