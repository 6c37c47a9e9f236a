using System.ComponentModel.DataAnnotations;

namespace StreamLstm.Learning;

/// <summary>How a model is trained (configuration section <c>Training</c>).</summary>
public sealed record TrainingSettings
{
    /// <summary>Most epochs to run. Default 40.</summary>
    [Range(1, 10000)]
    public int Epochs { get; init; } = 40;

    /// <summary>Windows per optimizer step. Default 256.</summary>
    [Range(1, 65536)]
    public int BatchSize { get; init; } = 256;

    /// <summary>Adam's learning rate. Default 0.002.</summary>
    [Range(1e-6, 1.0)]
    public double LearningRate { get; init; } = 0.002;

    /// <summary>Gradients are clipped to this global norm. Default 1.</summary>
    [Range(1e-6, 1e6)]
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Epochs without a better validation loss before training stops. Default 6.</summary>
    [Range(1, 1000)]
    public int Patience { get; init; } = 6;

    /// <summary>The last share of each symbol's training ticks held out for validation, in time order. Default 0.15.</summary>
    [Range(0.05, 0.5)]
    public double ValidationFraction { get; init; } = 0.15;

    /// <summary>Steps between the starts of consecutive training windows. Default 20.</summary>
    [Range(1, 4096)]
    public int Stride { get; init; } = 20;

    /// <summary>Seed of weight initialization and window order: the same seed and data give the same model. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Training stops after the epoch during which this much time has passed (the best epoch so far is kept).
    /// Null (the default) means no limit.
    /// </summary>
    public TimeSpan? MaxDuration { get; init; }

    /// <summary>Throws <see cref="ValidationException"/> naming the first invalid setting.</summary>
    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}
