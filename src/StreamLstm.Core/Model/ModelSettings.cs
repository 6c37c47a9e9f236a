using System.ComponentModel.DataAnnotations;
using StreamLstm.Features;

namespace StreamLstm.Model;

/// <summary>The shape of the forecaster (configuration section <c>Model</c>).</summary>
public sealed record ModelSettings
{
    /// <summary>
    /// The features the model reads (<see cref="FeatureSets"/>): <c>price</c>, <c>quote</c> (adds bid, ask, volume and
    /// tick intensity), or <c>auto</c> (default): chosen when the model is trained, <c>quote</c> only where the training
    /// ticks carry quotes or volumes and a quote model scores better on the validation split. Baked into a version.
    /// </summary>
    public string Features { get; init; } = FeatureSets.Auto;

    /// <summary>
    /// Inputs per tick: the first this many of <see cref="SymbolFeatures"/>, by <see cref="Features"/> (<c>auto</c>
    /// counts as <c>price</c> until training resolves it). Derived, so not a configuration key; written into
    /// <c>config.json</c> for readers, and ignored when read back.
    /// </summary>
    public int InputSize => FeatureSets.InputSize(Features);

    /// <summary>These settings reading <paramref name="set"/> (<c>price</c> or <c>quote</c>).</summary>
    public ModelSettings WithFeatures(string set) => this with { Features = set };

    /// <summary>
    /// A stored version's settings with <see cref="Features"/> resolved: a version stored before the setting existed
    /// (so <c>auto</c> when read) read the price features, the only ones there were.
    /// </summary>
    public ModelSettings Resolved() => Features == FeatureSets.Auto ? WithFeatures(FeatureSets.Price) : this;

    /// <summary>LSTM hidden units per layer. Default 64.</summary>
    [Range(1, 1024)]
    public int HiddenSize { get; init; } = 64;

    /// <summary>Stacked LSTM layers. Default 2.</summary>
    [Range(1, 8)]
    public int Layers { get; init; } = 2;

    /// <summary>Dropout between LSTM layers while training. Default 0.3.</summary>
    [Range(0.0, 0.9)]
    public double Dropout { get; init; } = 0.3;

    /// <summary>Forecast horizons, in ticks ahead: 1..Horizons. Default 3.</summary>
    [Range(1, 64)]
    public int Horizons { get; init; } = 3;

    /// <summary>Ticks per training window (truncated back-propagation length). Default 60.</summary>
    [Range(8, 4096)]
    public int Window { get; init; } = 60;

    /// <summary>Leading steps of each training window that warm the state and carry no loss. Default 20.</summary>
    [Range(0, 4000)]
    public int BurnIn { get; init; } = 20;

    /// <summary>Returns a symbol must have seen before it is forecast (its volatility estimate settles). Default 30.</summary>
    [Range(1, 100000)]
    public int Warmup { get; init; } = 30;

    /// <summary>Outputs of the network per step: median, lower and upper raw values per horizon.</summary>
    public int OutputSize => 3 * Horizons;

    /// <summary>Throws <see cref="ValidationException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (BurnIn >= Window)
            throw new ValidationException($"Model:BurnIn ({BurnIn}) must be less than Model:Window ({Window})");
        if (!FeatureSets.All.Contains(Features))
            throw new ValidationException($"Model:Features is '{Features}'; it must be one of {string.Join(", ", FeatureSets.All)}");
    }
}
