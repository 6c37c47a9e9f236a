using System.ComponentModel.DataAnnotations;

namespace StreamLstm.Inference;

/// <summary>How forecasts adapt online per symbol and horizon while they are served (configuration section <c>Serving</c>).</summary>
public sealed record ServingSettings
{
    /// <summary>
    /// Step size of the online interval calibration: after each resolved forecast the symbol's interval scale is
    /// multiplied by exp(rate * (missed - 0.2)), so its coverage tracks 80% (adaptive conformal inference on the log
    /// scale). 0 turns it off. Default 0.05.
    /// </summary>
    [Range(0.0, 1.0)]
    public double IntervalLearningRate { get; init; } = 0.05;

    /// <summary>
    /// Resolved forecasts (exponentially weighted) over which a symbol's model and naive errors are compared for the
    /// skill gate. Default 250.
    /// </summary>
    [Range(1, 100000)]
    public int SkillMemory { get; init; } = 250;

    /// <summary>
    /// The model's point forecast is served only while its rolling error is below the naive forecast's by this share;
    /// otherwise the last price is served (tagged naive). Default 0.
    /// </summary>
    [Range(-1.0, 1.0)]
    public double SkillMargin { get; init; } = 0.0;

    /// <summary>
    /// Most symbols the worker keeps state for. A tick of a new symbol beyond it is a dead letter, so a producer that
    /// invents symbols cannot grow memory (about 3 KB of state per symbol) or InfluxDB series without bound.
    /// Default 100,000.
    /// </summary>
    [Range(1, 100_000_000)]
    public int MaxSymbols { get; init; } = 100_000;

    /// <summary>Throws <see cref="ValidationException"/> naming the first invalid setting.</summary>
    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}
