using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Sink;
using StreamLstm.State;
using StreamLstm.Ticks;
using StreamLstm.Worker.Hosting;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// Configuration for the offline verbs: appsettings.json beside the executable, environment variables
/// (<c>Model__HiddenSize</c>) and <c>--Section:Key=value</c> arguments, bound and validated with the key's name. A key
/// the product does not know is refused (<see cref="SettingsCatalog"/>).
/// </summary>
public static class VerbConfiguration
{
    /// <summary>
    /// Builds the configuration from the standard sources and the verb's unmatched <c>--Key=value</c> tokens, over
    /// <paramref name="defaults"/> (the verb's own defaults, which every source overrides; null: none).
    /// </summary>
    public static IConfiguration Build(IReadOnlyList<string> overrides, IReadOnlyDictionary<string, string?>? defaults = null)
    {
        CheckSettingTokens(overrides);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(defaults ?? new Dictionary<string, string?>())
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(overrides.ToArray())
            .Build();
        CheckKnownSettings(configuration);
        return configuration;
    }

    /// <summary>Refuses a key of a section the product owns that no setting has, from any source.</summary>
    public static void CheckKnownSettings(IConfiguration configuration)
    {
        if (SettingsCatalog.FindUnknown(configuration) is { } problem) throw new CliException(problem);
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
    public static ModelSettings Model(IConfiguration configuration) =>
        Read<ModelSettings>(configuration, "Model", s => s.Validate());

    /// <summary>The <c>Training</c> section, validated; <paramref name="epochs"/> overrides <c>Training:Epochs</c>.</summary>
    public static TrainingSettings Training(IConfiguration configuration, int? epochs)
    {
        var settings = Bind<TrainingSettings>(configuration, "Training");
        if (epochs is { } e) settings = settings with { Epochs = e };
        Validate(() => settings.Validate(), "Training");
        return settings;
    }

    /// <summary><c>Model:KeepVersions</c>: how many versions a store keeps (default: <see cref="ModelStoreOptions.KeepVersions"/>).</summary>
    public static int KeepVersions(IConfiguration configuration)
    {
        var text = configuration["Model:KeepVersions"];
        if (text is null) return new ModelStoreOptions().KeepVersions;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var keep) || keep < 1)
            throw new CliException($"invalid configuration Model:KeepVersions: '{text}' is not a whole number of at least 1");
        return keep;
    }

    /// <summary><c>Kafka:ModelTopic</c>: the topic of the model store on Kafka; null when the store is a directory.</summary>
    public static string? ModelTopic(IConfiguration configuration) =>
        string.IsNullOrWhiteSpace(configuration["Kafka:ModelTopic"]) ? null : configuration["Kafka:ModelTopic"];

    /// <summary>
    /// The model store a verb works on: the directory <paramref name="directory"/> when given (an option such as
    /// <c>--model-dir</c>), else the topic <c>Kafka:ModelTopic</c> when set (with <c>Kafka:BootstrapServers</c>), else
    /// <c>Model:Directory</c>. A directory must exist unless <paramref name="create"/>.
    /// </summary>
    public static IModelStore OpenModelStore(IConfiguration configuration, string? directory, bool create = false)
    {
        if (directory is null && ModelTopic(configuration) is { } topic)
        {
            if (string.IsNullOrWhiteSpace(configuration["Kafka:BootstrapServers"]))
                throw new CliException($"Kafka:ModelTopic is '{topic}' but Kafka:BootstrapServers is not set: give the brokers (--Kafka:BootstrapServers=host:port)");
            return new KafkaModelStore(Kafka(configuration), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        }
        directory ??= configuration["Model:Directory"] ?? new ModelStoreOptions().Directory;
        if (string.IsNullOrWhiteSpace(directory)) throw new CliException("no model store: give --model-dir STORE, or set Model:Directory or Kafka:ModelTopic");
        if (!create && !Directory.Exists(directory)) throw new CliException($"model store '{Path.GetFullPath(directory)}' does not exist");
        return new ModelStore(directory);
    }

    /// <summary>The <c>Serving</c> section, validated.</summary>
    public static ServingSettings Serving(IConfiguration configuration) =>
        Read<ServingSettings>(configuration, "Serving", s => s.Validate());

    /// <summary>The <c>Ticks</c> section, validated: what the CSV readers refuse besides the format.</summary>
    public static TickSettings Ticks(IConfiguration configuration) =>
        Read<TickSettings>(configuration, "Ticks", s => s.Validate());

    /// <summary>The <c>History</c> section, validated.</summary>
    public static HistorySettings History(IConfiguration configuration) =>
        Read<HistorySettings>(configuration, "History", s => s.Validate());

    /// <summary>The <c>Learning</c> section, validated.</summary>
    public static LearningSettings Learning(IConfiguration configuration) =>
        Read<LearningSettings>(configuration, "Learning", s => s.Validate());

    /// <summary>The <c>State</c> section, validated.</summary>
    public static StateSettings State(IConfiguration configuration) =>
        Read<StateSettings>(configuration, "State", s => s.Validate());

    /// <summary>The <c>Sink</c> section (output profile), validated.</summary>
    public static OutputSettings Output(IConfiguration configuration) =>
        Read<OutputSettings>(configuration, "Sink", s => s.Validate());

    /// <summary><c>Model:FollowInterval</c>: how often a worker checks its store for a new current version.</summary>
    public static TimeSpan FollowInterval(IConfiguration configuration)
    {
        var interval = Bind<ModelStoreOptions>(configuration, "Model").FollowInterval;
        if (interval <= TimeSpan.Zero) throw new CliException("invalid configuration: Model:FollowInterval must be positive");
        return interval;
    }

    /// <summary>The <c>Kafka</c> section; <c>Kafka:BootstrapServers</c> is required.</summary>
    public static KafkaOptions Kafka(IConfiguration configuration)
    {
        var options = Bind<KafkaOptions>(configuration, "Kafka");
        if (string.IsNullOrWhiteSpace(options.BootstrapServers)) throw new CliException("Kafka:BootstrapServers is required (--Kafka:BootstrapServers=host:port)");
        return options;
    }

    private static T Read<T>(IConfiguration configuration, string section, Action<T> validate) where T : new()
    {
        var settings = Bind<T>(configuration, section);
        Validate(() => validate(settings), section);
        return settings;
    }

    private static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        try
        {
            // Two classes share the Model section, so each sees the other's keys; unknown ones were refused in Build.
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
