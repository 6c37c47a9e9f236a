using Microsoft.Extensions.Diagnostics.HealthChecks;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Hosting.Health;

/// <summary>Runs with the health checks every few seconds and keeps the outcome of the readiness ones as the <c>streamlstm_ready</c> gauge.</summary>
public sealed class ReadinessPublisher(PipelineCounters counters) : IHealthCheckPublisher
{
    public const string ReadyTag = "ready";
    public const string LiveTag = "live";

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        counters.Ready = report.Entries.Values.Where(e => e.Tags.Contains(ReadyTag)).All(e => e.Status == HealthStatus.Healthy);
        return Task.CompletedTask;
    }
}
