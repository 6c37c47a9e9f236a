using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using StreamLstm.Inference;
using StreamLstm.Learning;
using StreamLstm.Model;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// Configuration for the offline verbs: appsettings.json beside the executable, environment variables
/// (<c>Model__HiddenSize</c>) and <c>--Section:Key=value</c> arguments, bound and validated with the key's name.
/// </summary>
public static class VerbConfiguration
{
    /// <summary>Builds the configuration from the standard sources and the verb's unmatched <c>--Key=value</c> tokens.</summary>
    public static IConfiguration Build(IReadOnlyList<string> overrides)
    {
        CheckSettingTokens(overrides);
        return new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(overrides.ToArray())
            .Build();
    }

    /// <summary>Refuses anything but <c>--Section:Key=value</c> among the tokens no option matched.</summary>
    public static void CheckSettingTokens(IReadOnlyList<string> tokens)
    {
        foreach (var token in tokens)
        {
            if (!token.StartsWith("--", StringComparison.Ordinal) || !token.Contains(':') || !token.Contains('='))
                throw new CliException($"unrecognized argument '{token}' (settings are given as --Section:Key=value)");
        }
    }

    /// <summary>The <c>Model</c> section, validated.</summary>
    public static ModelSettings Model(IConfiguration configuration)
    {
        var settings = Bind<ModelSettings>(configuration, "Model");
        Validate(() => settings.Validate(), "Model");
        return settings;
    }

    /// <summary>The <c>Training</c> section, validated; <paramref name="epochs"/> overrides <c>Training:Epochs</c>.</summary>
    public static TrainingSettings Training(IConfiguration configuration, int? epochs)
    {
        var settings = Bind<TrainingSettings>(configuration, "Training");
        if (epochs is { } e) settings = settings with { Epochs = e };
        Validate(() => settings.Validate(), "Training");
        return settings;
    }

    /// <summary><c>Model:KeepVersions</c>: how many versions a store keeps (default 5).</summary>
    public static int KeepVersions(IConfiguration configuration)
    {
        var text = configuration["Model:KeepVersions"];
        if (text is null) return 5;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var keep) || keep < 1)
            throw new CliException($"invalid configuration Model:KeepVersions: '{text}' is not a whole number of at least 1");
        return keep;
    }

    /// <summary>The <c>Serving</c> section, validated.</summary>
    public static ServingSettings Serving(IConfiguration configuration)
    {
        var settings = Bind<ServingSettings>(configuration, "Serving");
        Validate(() => settings.Validate(), "Serving");
        return settings;
    }

    /// <summary>The <c>History</c> section, validated.</summary>
    public static HistorySettings History(IConfiguration configuration)
    {
        var settings = Bind<HistorySettings>(configuration, "History");
        Validate(() => settings.Validate(), "History");
        return settings;
    }

    private static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        try
        {
            return configuration.GetSection(section).Get<T>(o => o.ErrorOnUnknownConfiguration = false) ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            throw new CliException($"invalid configuration: {ex.Message}");
        }
    }

    private static void Validate(Action validate, string section)
    {
        try
        {
            validate();
        }
        catch (ValidationException ex)
        {
            var member = ex.ValidationResult.MemberNames.FirstOrDefault();
            var key = member is null ? section : $"{section}:{member}";
            throw new CliException(ex.Message.StartsWith(section + ":", StringComparison.Ordinal) ? $"invalid configuration: {ex.Message}" : $"invalid configuration {key}: {ex.Message}");
        }
    }
}
