using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Sink;
using StreamLstm.State;
using StreamLstm.Ticks;

namespace StreamLstm.Pipeline;

/// <summary>Everything <see cref="ForecastingService"/> needs besides its sink.</summary>
public sealed record ForecastingOptions
{
    /// <summary>The feed.</summary>
    public required KafkaOptions Kafka { get; init; }

    /// <summary>The model store (<c>Model:Directory</c>).</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>How often the store is checked for a new current version. Default 2 s.</summary>
    public TimeSpan FollowInterval { get; init; } = StreamingPipeline.DefaultFollowInterval;

    /// <summary>Versions the store keeps after a promotion (<c>Model:KeepVersions</c>). Default 5.</summary>
    public int KeepVersions { get; init; } = ModelStore.DefaultKeepVersions;

    /// <summary>
    /// Whether the directory store is shared by the workers of the group (<c>Model:Shared</c>); a store on Kafka always is.
    /// With a shared store only the worker assigned partition 0 of the tick topic retrains. Default false.
    /// </summary>
    public bool SharedStore { get; init; }

    /// <summary>The shape of the first model trained from an empty store (<c>Model:*</c>).</summary>
    public ModelSettings Model { get; init; } = new();

    /// <summary>
    /// The <c>Model:*</c> key names given in the configuration (not left at their defaults), compared case-insensitively:
    /// a shape setting among them that the served version was trained with another value of is warned about. Default none.
    /// </summary>
    public IReadOnlySet<string> GivenModelKeys { get; init; } = new HashSet<string>();

    /// <summary>Online calibration and skill gate (<c>Serving:*</c>).</summary>
    public ServingSettings Serving { get; init; } = new();

    /// <summary>How challengers are trained (<c>Training:*</c>).</summary>
    public TrainingSettings Training { get; init; } = new();

    /// <summary>Retraining schedule, drift and promotion rules (<c>Learning:*</c>).</summary>
    public LearningSettings Learning { get; init; } = new();

    /// <summary>Where ticks are accumulated (<c>History:*</c>).</summary>
    public HistorySettings History { get; init; } = new();

    /// <summary>State checkpoints to the changelog, restored on assignment (<c>State:*</c>).</summary>
    public StateSettings State { get; init; } = new();

    /// <summary>What is written to InfluxDB per tick (<c>Sink:*</c>).</summary>
    public OutputSettings Output { get; init; } = new();

    /// <summary>What counts as a usable tick beyond its format: clock skew, late-tick warnings (<c>Ticks:*</c>).</summary>
    public TickSettings Ticks { get; init; } = new();
}
