using System.ComponentModel.DataAnnotations;
using StreamLstm.Features;

namespace StreamLstm.Model;

/// <summary>The shape of the forecaster (configuration section <c>Model</c>).</summary>
public sealed record ModelSettings
{
    /// <summary>Features per tick; fixed by <see cref="SymbolFeatures"/>. Stored so a mismatched model is refused.</summary>
    public int InputSize { get; init; } = SymbolFeatures.Count;

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
        if (InputSize != SymbolFeatures.Count)
            throw new ValidationException($"model input size {InputSize} does not match this build's {SymbolFeatures.Count} features");
    }
}
