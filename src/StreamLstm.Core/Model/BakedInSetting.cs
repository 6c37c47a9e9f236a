using System.Globalization;

namespace StreamLstm.Model;

/// <summary>
/// A <c>Model:*</c> shape setting given in the configuration with another value than the served version was trained
/// with. A version serves with its own shape (its <c>config.json</c>), and retraining keeps the champion's, so the given
/// value does nothing until a model is trained from an empty store or by <c>train</c>.
/// </summary>
/// <param name="Key">The key, e.g. <c>Model:Horizons</c>.</param>
/// <param name="Configured">The value in the configuration.</param>
/// <param name="Version">The served version.</param>
/// <param name="Trained">The value the version was trained with, which it serves with.</param>
public sealed record BakedInSetting(string Key, string Configured, string Version, string Trained)
{
    /// <summary>The warning as a message template; its placeholders are this record's properties.</summary>
    public const string Template =
        "{Key} is {Configured} in the configuration but model {Version} was trained with {Trained}; serving with {Trained} " +
        "(Model:* shape settings apply to the first model trained from an empty store; train a new version to change them)";

    /// <summary>The settings a version has baked in (stored in its <c>config.json</c>), by key name under <c>Model</c>.</summary>
    private static readonly (string Name, Func<ModelSettings, object> Value)[] Shape =
    [
        (nameof(ModelSettings.HiddenSize), s => s.HiddenSize),
        (nameof(ModelSettings.Layers), s => s.Layers),
        (nameof(ModelSettings.Dropout), s => s.Dropout),
        (nameof(ModelSettings.Horizons), s => s.Horizons),
        (nameof(ModelSettings.Window), s => s.Window),
        (nameof(ModelSettings.BurnIn), s => s.BurnIn),
        (nameof(ModelSettings.Warmup), s => s.Warmup),
        (nameof(ModelSettings.Features), s => s.Features),
    ];

    /// <summary>The warning with the values in place of the placeholders (for a console rather than a logger).</summary>
    public string Message => Template
        .Replace("{Key}", Key, StringComparison.Ordinal)
        .Replace("{Configured}", Configured, StringComparison.Ordinal)
        .Replace("{Version}", Version, StringComparison.Ordinal)
        .Replace("{Trained}", Trained, StringComparison.Ordinal);

    /// <summary>
    /// The shape settings among <paramref name="given"/> (key names under <c>Model</c>, compared case-insensitively; only
    /// those present in the configuration, so a default is never warned about) whose <paramref name="configured"/> value
    /// differs from the <paramref name="trained"/> one of <paramref name="version"/>.
    /// </summary>
    public static IReadOnlyList<BakedInSetting> Find(ModelSettings configured, IReadOnlySet<string> given, string version, ModelSettings trained) =>
        Shape
            .Where(s => given.Any(k => string.Equals(k, s.Name, StringComparison.OrdinalIgnoreCase)))
            .Where(s => !Equals(s.Value(configured), s.Value(trained)))
            .Where(s => s.Name != nameof(ModelSettings.Features) || configured.Features != Features.FeatureSets.Auto) // auto: whatever the training chose
            .Select(s => new BakedInSetting($"Model:{s.Name}", Text(s.Value(configured)), version, Text(s.Value(trained))))
            .ToList();

    private static string Text(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}
