namespace StreamLstm.Model;

/// <summary>What a model version records about itself (<c>metadata.json</c>).</summary>
public sealed record ModelMetadata
{
    /// <summary>The version id; must equal the version's folder name.</summary>
    public required string Version { get; init; }

    /// <summary>When the version was written (UTC).</summary>
    public DateTime CreatedUtc { get; init; }

    /// <summary>Event time of the first and last tick the model was trained and validated on.</summary>
    public DateTime? DataFrom { get; init; }

    /// <inheritdoc cref="DataFrom"/>
    public DateTime? DataTo { get; init; }

    /// <summary>Symbols and ticks the model saw.</summary>
    public int Symbols { get; init; }

    /// <inheritdoc cref="Symbols"/>
    public long Ticks { get; init; }

    /// <summary>Where the training data came from (a file, or the worker's history).</summary>
    public string? Source { get; init; }

    /// <summary>Epochs run and the best validation loss.</summary>
    public int Epochs { get; init; }

    /// <inheritdoc cref="Epochs"/>
    public double ValidationLoss { get; init; }

    /// <summary>Validation MAE over the naive forecast's, per horizon.</summary>
    public double[] ValidationRelMae { get; init; } = [];

    /// <summary>Validation coverage of the 80% interval, per horizon.</summary>
    public double[] ValidationCoverage80 { get; init; } = [];

    /// <summary>Library versions that wrote the model (TorchSharp, LibTorch, StreamLstm, .NET).</summary>
    public Dictionary<string, string> Libraries { get; init; } = [];

    /// <summary>Size and SHA-256 of <c>weights.bin</c>: a truncated or corrupted file is refused.</summary>
    public long WeightsBytes { get; init; }

    /// <inheritdoc cref="WeightsBytes"/>
    public string WeightsSha256 { get; init; } = "";

    /// <summary>
    /// For a version trained by the worker's retraining: the walk-forward evaluation on the held-out most recent
    /// history that got it promoted (null for versions trained offline).
    /// </summary>
    public HoldoutEvaluation? Holdout { get; init; }

    /// <summary>Metadata of a freshly trained network (the store fills in the version, size, hash and libraries).</summary>
    public static ModelMetadata From(TrainingResult result, IReadOnlyList<Ticks.Tick> ticks, string source) => new()
    {
        Version = "",
        Source = source,
        DataFrom = ticks.Count == 0 ? null : ticks.Min(t => t.Timestamp),
        DataTo = ticks.Count == 0 ? null : ticks.Max(t => t.Timestamp),
        Symbols = ticks.Select(t => t.Symbol).Distinct().Count(),
        Ticks = ticks.Count,
        Epochs = result.Epochs,
        ValidationLoss = result.Validation.Loss,
        ValidationRelMae = result.Validation.RelMae,
        ValidationCoverage80 = result.Validation.Coverage80,
    };
}
