using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Ticks;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Hosting;

/// <summary>
/// The hosted service: the <see cref="ForecastingService"/> (pipeline, history, retraining) over the configured store
/// until the host stops. Points go to InfluxDB when <c>Influx:Url</c> is set, else to a line-protocol file.
/// </summary>
public sealed partial class ForecastWorker(
    IOptions<KafkaOptions> kafka,
    IOptions<InfluxOptions> influx,
    IOptions<ModelStoreOptions> store,
    IOptions<ModelSettings> model,
    IOptions<ServingSettings> serving,
    IOptions<TrainingSettings> training,
    IOptions<LearningSettings> learning,
    IOptions<HistorySettings> history,
    IOptions<TickSettings> ticks,
    IConfiguration configuration,
    PipelineCounters counters,
    WorkerMetrics metrics,
    ILoggerFactory loggers) : BackgroundService
{
    /// <summary>Where points go when no InfluxDB is configured.</summary>
    public const string DefaultLineFile = "forecasts.lp";

    private readonly ILogger _logger = loggers.CreateLogger<ForecastWorker>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Taken so the instruments exist (at 0) before the first scrape, not at the first tick.
        _ = metrics;
        var options = new ForecastingOptions
        {
            Kafka = kafka.Value,
            ModelDirectory = store.Value.Directory,
            FollowInterval = store.Value.FollowInterval,
            KeepVersions = store.Value.KeepVersions,
            Model = model.Value,
            GivenModelKeys = SettingsCatalog.GivenKeys(configuration, "Model"),
            Serving = serving.Value,
            Training = training.Value,
            Learning = learning.Value,
            History = history.Value,
            Ticks = ticks.Value,
        };
        var sink = PointSinks.For(influx.Value, DefaultLineFile, counters, loggers.CreateLogger<InfluxPointSink>());
        LogSink(_logger, PointSinks.Destination(influx.Value, DefaultLineFile));
        using var service = new ForecastingService(options, sink, loggers, counters);
        await service.RunAsync(stoppingToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Points go to {Destination}")]
    private static partial void LogSink(ILogger logger, string destination);
}
