using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;

namespace StreamLstm.Worker.Hosting;

/// <summary>
/// The hosted service: loads the current model of the store, then runs the streaming pipeline until the host stops.
/// Points go to InfluxDB when <c>Influx:Url</c> is set, else to a line-protocol file.
/// </summary>
public sealed partial class ForecastWorker(
    IOptions<KafkaOptions> kafka,
    IOptions<InfluxOptions> influx,
    IOptions<ModelStoreOptions> store,
    IOptions<ServingSettings> serving,
    PipelineCounters counters,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers) : BackgroundService
{
    /// <summary>Where points go when no InfluxDB is configured.</summary>
    public const string DefaultLineFile = "forecasts.lp";

    private readonly ILogger _logger = loggers.CreateLogger<ForecastWorker>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ModelVersion model;
        try
        {
            model = new ModelStore(store.Value.Directory).LoadCurrent();
        }
        catch (ModelStoreException ex)
        {
            LogNoModel(_logger, ex.Message);
            Environment.ExitCode = 2;
            lifetime.StopApplication();
            return;
        }
        using (model)
        {
            var sink = PointSinks.For(influx.Value, DefaultLineFile, counters, loggers.CreateLogger<InfluxPointSink>());
            LogSink(_logger, PointSinks.Destination(influx.Value, DefaultLineFile));
            var pipeline = new StreamingPipeline(kafka.Value, model, serving.Value, sink, loggers.CreateLogger<StreamingPipeline>(), counters)
            {
                Follow = new ModelStore(store.Value.Directory),
                FollowInterval = store.Value.FollowInterval,
            };
            await pipeline.RunAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "No model to serve: {Reason}")]
    private static partial void LogNoModel(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Points go to {Destination}")]
    private static partial void LogSink(ILogger logger, string destination);
}
