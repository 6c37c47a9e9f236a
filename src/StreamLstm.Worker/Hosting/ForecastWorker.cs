using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Hosting;

/// <summary>
/// The hosted service: runs the <see cref="ForecastingService"/> (pipeline, history, retraining; built by the container
/// from the settings, see <see cref="WorkerServices"/>) until the host stops.
/// </summary>
public sealed partial class ForecastWorker(ForecastingService service, IOptions<InfluxOptions> influx, WorkerMetrics metrics, ILogger<ForecastWorker> logger)
    : BackgroundService
{
    /// <summary>Where points go when no InfluxDB is configured.</summary>
    public const string DefaultLineFile = "forecasts.lp";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Taken so the instruments exist (at 0) before the first scrape, not at the first tick.
        _ = metrics;
        LogSink(logger, PointSinks.Destination(influx.Value, DefaultLineFile, service.Pipeline.Kafka));
        return service.RunAsync(stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Points go to {Destination}")]
    private static partial void LogSink(ILogger logger, string destination);
}
