using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Sink;
using StreamLstm.Telemetry;

namespace StreamLstm.Pipeline;

/// <summary>
/// The whole worker: the <see cref="StreamingPipeline"/> serving the store's current version (or, with an empty store,
/// the <see cref="NaiveModel"/>: cold start) and following it, the <see cref="TickHistory"/> every accepted tick is kept
/// in, and, unless <c>Learning:Enabled</c> is false, the <see cref="RetrainingLoop"/> that trains challengers on that
/// history and promotes the better ones into the store, from where the pipeline swaps them in.
/// </summary>
public sealed partial class ForecastingService : IDisposable
{
    private readonly ForecastingOptions _options;
    private readonly ILogger _logger;
    private readonly ModelVersion _model;
    private readonly TickHistory _history;
    private readonly IModelStore _store;
    private string? _modelProblem;

    /// <param name="options">Feed, store, settings.</param>
    /// <param name="sinkFactory">Makes the sink from the acknowledge callback of the Kafka source.</param>
    /// <param name="loggers">Where everything logs.</param>
    /// <param name="counters">Running totals (null: the service's own).</param>
    /// <param name="latencyObserver">Each tick's hand-over-to-serialized latency in ms (benchmarks; null: none).</param>
    public ForecastingService(ForecastingOptions options, Func<Action<IReadOnlyList<SourcePosition>>, IPointSink> sinkFactory,
        ILoggerFactory loggers, PipelineCounters? counters = null, Action<double>? latencyObserver = null)
        : this(options, ModelStores.Open(options.Kafka, options.ModelDirectory, loggers), CreateHistory(options, loggers), sinkFactory, loggers, counters, latencyObserver)
    {
    }

    /// <param name="options">Feed, settings.</param>
    /// <param name="store">The model store the pipeline serves and follows and the retraining promotes into; the service disposes it.</param>
    /// <param name="history">Where accepted ticks are kept; the service disposes it.</param>
    /// <param name="sinkFactory">Makes the sink from the acknowledge callback of the Kafka source.</param>
    /// <param name="loggers">Where everything logs.</param>
    /// <param name="counters">Running totals (null: the service's own).</param>
    /// <param name="latencyObserver">Each tick's hand-over-to-serialized latency in ms (benchmarks; null: none).</param>
    public ForecastingService(ForecastingOptions options, IModelStore store, TickHistory history,
        Func<Action<IReadOnlyList<SourcePosition>>, IPointSink> sinkFactory, ILoggerFactory loggers, PipelineCounters? counters = null,
        Action<double>? latencyObserver = null)
    {
        options.Learning.Validate();
        options.History.Validate();
        options.Ticks.Validate();
        options.Output.Validate();
        options.State.Validate();
        _options = options;
        _logger = loggers.CreateLogger<ForecastingService>();
        _store = store;
        _model = LoadServingModel(store);
        _history = history;
        var drift = options.Learning.Enabled ? new DriftMonitor(options.Learning.DriftDelta, options.Learning.DriftThreshold) : null;
        bool shared = store is KafkaModelStore || options.SharedStore;
        Pipeline = new StreamingPipeline(options.Kafka, _model, options.Serving, sinkFactory, loggers.CreateLogger<StreamingPipeline>(), counters)
        {
            Follow = store,
            FollowInterval = options.FollowInterval,
            SwitchMarker = SwitchMarkerPath(options),
            SharedStore = shared,
            History = _history,
            RewarmTicks = options.History.RewarmTicks,
            Ticks = options.Ticks,
            Output = options.Output,
            State = options.State,
            Drift = drift,
            LatencyObserver = latencyObserver,
        };
        Pipeline.Counters.ModelProblem = _modelProblem;
        if (options.Learning.Enabled)
        {
            Retraining = new RetrainingLoop(options.Learning, options.Training, options.Model, options.Serving, store,
                _history, drift, Pipeline.Report, loggers.CreateLogger<RetrainingLoop>(), options.KeepVersions)
            {
                OutcomeObserver = Pipeline.Counters.AddRetrain,
                // One trainer for the group when its workers share the store: the owner of partition 0, whoever it is
                // after each rebalance. It trains on the history it holds, its own partitions' symbols.
                IsTrainer = shared ? () => Pipeline.Assignment.Contains(0) : null,
            };
        }
    }

    /// <summary>
    /// Where the worker keeps the last model switch it took over (beside the tick history:
    /// <c>History:Directory/{topic}.model-switch</c>), so that one made while it was stopped is reported once at start.
    /// </summary>
    public static string SwitchMarkerPath(ForecastingOptions options) =>
        Path.Combine(Path.GetFullPath(options.History.Directory), $"{options.Kafka.Topic}.model-switch");

    /// <summary>The tick history of <paramref name="options"/>'s topic and settings.</summary>
    public static TickHistory CreateHistory(ForecastingOptions options, ILoggerFactory loggers) =>
        new(options.History, options.Kafka.Topic, loggers.CreateLogger<TickHistory>());

    /// <summary>The streaming pipeline (counters, serving model, live score).</summary>
    public StreamingPipeline Pipeline { get; }

    /// <summary>The retraining loop; null when <c>Learning:Enabled</c> is false.</summary>
    public RetrainingLoop? Retraining { get; }

    /// <summary>The accumulated ticks.</summary>
    public TickHistory History => _history;

    /// <summary>Runs until <paramref name="stopping"/> fires, then stops the retraining and shuts the pipeline down gracefully.</summary>
    public async Task RunAsync(CancellationToken stopping, TimeSpan? shutdownTimeout = null)
    {
        // The retraining stops with the pipeline, also when the pipeline ends by failing.
        using var stopLearning = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var learning = Retraining?.RunAsync(stopLearning.Token) ?? Task.CompletedTask;
        try
        {
            await Pipeline.RunAsync(stopping, shutdownTimeout).ConfigureAwait(false);
        }
        finally
        {
            await stopLearning.CancelAsync().ConfigureAwait(false);
            await learning.ConfigureAwait(false);
            _history.Flush();
        }
    }

    private ModelVersion LoadServingModel(IModelStore store)
    {
        if (store.CurrentVersion is null or NaiveModel.Id)
        {
            LogColdStart(_logger, store.Location, _options.Learning.Enabled ? $"the first model is trained once the history holds {_options.Learning.MinTicks} ticks" : "Learning:Enabled is false, so none will be trained here");
            return NaiveModel.Create(_options.Model);
        }
        try
        {
            var model = store.LoadCurrent();
            foreach (var setting in BakedInSetting.Find(_options.Model, _options.GivenModelKeys, model.Id, model.Settings))
                LogBakedIn(_logger, setting.Key, setting.Configured, setting.Version, setting.Trained);
            return model;
        }
        catch (ModelStoreException ex)
        {
            _modelProblem = $"the current version cannot be loaded ({ex.Message}): serving naive forecasts";
            LogUnloadable(_logger, ex.Message);
            return NaiveModel.Create(_options.Model);
        }
    }

    public void Dispose()
    {
        _history.Dispose();
        _model.Dispose();
        _store.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model store {Store} has no current model: serving naive forecasts (model=naive); {Plan}")]
    private static partial void LogColdStart(ILogger logger, string store, string plan);

    [LoggerMessage(Level = LogLevel.Warning, Message = BakedInSetting.Template)]
    private static partial void LogBakedIn(ILogger logger, string key, string configured, string version, string trained);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The current model cannot be served ({Reason}); serving naive forecasts (model=naive) until a version that loads is made current")]
    private static partial void LogUnloadable(ILogger logger, string reason);
}
