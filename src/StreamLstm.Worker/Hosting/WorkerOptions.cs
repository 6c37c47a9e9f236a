using Microsoft.Extensions.Options;
using StreamLstm.Ingest;
using StreamLstm.Inference;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Sink;
using StreamLstm.State;
using StreamLstm.Ticks;

namespace StreamLstm.Worker.Hosting;

/// <summary>The <c>Model</c> section as the worker reads it: where the model store is.</summary>
public sealed class ModelStoreOptions
{
    /// <summary>The model store (a directory of versions). Default <c>models</c>.</summary>
    public string Directory { get; set; } = "models";

    /// <summary>How often the worker checks the store for a new current version. Default 2 s.</summary>
    public TimeSpan FollowInterval { get; set; } = StreamLstm.Pipeline.StreamingPipeline.DefaultFollowInterval;

    /// <summary>Versions the store keeps after a new one is added (never the current one or the rollback target). Default 5.</summary>
    public int KeepVersions { get; set; } = ModelStore.DefaultKeepVersions;

    /// <summary>
    /// Whether the directory is shared by the workers of the group (a network file system): then, as with a model store
    /// on Kafka (<c>Kafka:ModelTopic</c>), only the worker assigned partition 0 of the tick topic retrains. Default false.
    /// </summary>
    public bool Shared { get; set; }
}

/// <summary>Checks the worker's settings at start and names the key of the first problem.</summary>
public sealed class WorkerOptionsValidator :
    IValidateOptions<KafkaOptions>, IValidateOptions<InfluxOptions>, IValidateOptions<ModelStoreOptions>, IValidateOptions<ServingSettings>,
    IValidateOptions<ModelSettings>, IValidateOptions<TrainingSettings>, IValidateOptions<LearningSettings>, IValidateOptions<HistorySettings>, IValidateOptions<TickSettings>, IValidateOptions<HttpOptions>,
    IValidateOptions<StateSettings>, IValidateOptions<OutputSettings>
{
    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        if (Annotations("Kafka", options) is { } invalid) return invalid;
        if (string.IsNullOrWhiteSpace(options.BootstrapServers)) return Fail("Kafka:BootstrapServers is required (host:port[,host:port])");
        if (string.IsNullOrWhiteSpace(options.Topic)) return Fail("Kafka:Topic must not be empty");
        if (string.IsNullOrWhiteSpace(options.GroupId)) return Fail("Kafka:GroupId must not be empty");
        if (string.IsNullOrWhiteSpace(options.DeadLetterTopic)) return Fail("Kafka:DeadLetterTopic must not be empty");
        if (options.DeadLetterTopic == options.Topic) return Fail("Kafka:DeadLetterTopic must differ from Kafka:Topic");
        if (options.QueueTicks < 1) return Fail($"Kafka:QueueTicks must be at least 1, got {options.QueueTicks}");
        if (options.ModelTopic is { } model && (model == options.Topic || model == options.DeadLetterTopic || model == options.StateTopicName))
            return Fail($"Kafka:ModelTopic must differ from Kafka:Topic, Kafka:DeadLetterTopic and Kafka:StateTopic, got '{model}'");
        if (!string.IsNullOrWhiteSpace(options.ForecastTopic) && options.ForecastTopic is var forecasts
            && (forecasts == options.Topic || forecasts == options.DeadLetterTopic || forecasts == options.StateTopicName || forecasts == options.ModelTopic))
            return Fail($"Kafka:ForecastTopic must differ from Kafka:Topic, Kafka:DeadLetterTopic, Kafka:StateTopic and Kafka:ModelTopic, got '{forecasts}'");
        return ValidateOptionsResult.Success;
    }

    public ValidateOptionsResult Validate(string? name, InfluxOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Url)) return ValidateOptionsResult.Success;
        if (Annotations("Influx", options) is { } invalid) return invalid;
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return Fail($"Influx:Url '{options.Url}' is not an http or https URL");
        if (string.IsNullOrWhiteSpace(options.Bucket)) return Fail("Influx:Bucket must not be empty");
        if (string.IsNullOrWhiteSpace(options.Org)) return Fail("Influx:Org must not be empty");
        if (options.BatchPoints < 1) return Fail($"Influx:BatchPoints must be at least 1, got {options.BatchPoints}");
        if (options.QueueBatches < 1) return Fail($"Influx:QueueBatches must be at least 1, got {options.QueueBatches}");
        if (options.FlushInterval <= TimeSpan.Zero) return Fail("Influx:FlushInterval must be positive");
        if (options.Timeout <= TimeSpan.Zero) return Fail("Influx:Timeout must be positive");
        return ValidateOptionsResult.Success;
    }

    public ValidateOptionsResult Validate(string? name, ModelStoreOptions options)
    {
        if (Annotations("Model", options) is { } invalid) return invalid;
        if (string.IsNullOrWhiteSpace(options.Directory)) return Fail("Model:Directory must name the model store");
        if (options.FollowInterval <= TimeSpan.Zero) return Fail("Model:FollowInterval must be positive");
        if (options.KeepVersions < 1) return Fail($"Model:KeepVersions must be at least 1, got {options.KeepVersions}");
        return ValidateOptionsResult.Success;
    }

    public ValidateOptionsResult Validate(string? name, ServingSettings options) => Check("Serving", options.Validate);

    public ValidateOptionsResult Validate(string? name, ModelSettings options) => Check("Model", options.Validate);

    public ValidateOptionsResult Validate(string? name, TrainingSettings options) => Check("Training", options.Validate);

    public ValidateOptionsResult Validate(string? name, LearningSettings options) => Check("Learning", options.Validate);

    public ValidateOptionsResult Validate(string? name, HistorySettings options) => Check("History", options.Validate);

    public ValidateOptionsResult Validate(string? name, TickSettings options) => Check("Ticks", options.Validate);

    public ValidateOptionsResult Validate(string? name, StateSettings options) => Check("State", options.Validate);

    public ValidateOptionsResult Validate(string? name, OutputSettings options) => Check("Sink", options.Validate);

    public ValidateOptionsResult Validate(string? name, HttpOptions options) =>
        HttpOptions.Problem(options.Url) is { } problem ? Fail(problem) : ValidateOptionsResult.Success;

    /// <summary>
    /// The options class's validation attributes (<c>[Range]</c>, ...), the first failure naming its key
    /// (<c>Influx:BatchPoints: The field BatchPoints must be between 1 and 1000000.</c>); null when they all hold.
    /// </summary>
    private static ValidateOptionsResult? Annotations(string section, object options)
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new System.ComponentModel.DataAnnotations.ValidationContext(options), results, validateAllProperties: true))
            return null;
        var first = results[0];
        var member = first.MemberNames.FirstOrDefault();
        return Fail(member is null ? $"{section}: {first.ErrorMessage}" : $"{section}:{member}: {first.ErrorMessage}");
    }

    /// <summary>Runs a settings record's own validation; the failure names the key (<c>Section:Member</c>).</summary>
    private static ValidateOptionsResult Check(string section, Action validate)
    {
        try
        {
            validate();
            return ValidateOptionsResult.Success;
        }
        catch (System.ComponentModel.DataAnnotations.ValidationException ex)
        {
            if (ex.Message.StartsWith(section + ":", StringComparison.Ordinal) || ex.Message.StartsWith("Model:", StringComparison.Ordinal)) return Fail(ex.Message);
            var member = ex.ValidationResult.MemberNames.FirstOrDefault();
            return Fail(member is null ? $"{section}: {ex.Message}" : $"{section}:{member}: {ex.Message}");
        }
    }

    private static ValidateOptionsResult Fail(string message) => ValidateOptionsResult.Fail(message);
}
