using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StreamLstm.Sink;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Hosting.Health;

/// <summary>
/// Readiness: InfluxDB answers its <c>/ping</c> (probed every 2 s), takes the writes (no configuration fault: a token,
/// org or bucket refused) and the writer's circuit is closed; always ready when points go to a file.
/// </summary>
public sealed class InfluxHealthCheck(InfluxProbe probe, PipelineCounters counters, IOptions<InfluxOptions> influx, TimeProvider time) : IHealthCheck
{
    /// <summary>A ping older than this is not trusted (the probe stopped or hangs).</summary>
    public static readonly TimeSpan Stale = TimeSpan.FromSeconds(10);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(influx.Value.Url)) return Task.FromResult(HealthCheckResult.Healthy("no Influx:Url: points go to a line-protocol file"));
        var last = probe.Last;
        HealthCheckResult result;
        if (last is null) result = HealthCheckResult.Unhealthy("InfluxDB not probed yet");
        else if (time.GetUtcNow().UtcDateTime - last.AtUtc > Stale) result = HealthCheckResult.Unhealthy($"no answer to /ping since {last.AtUtc:O}");
        else if (!last.Reachable) result = HealthCheckResult.Unhealthy($"InfluxDB unreachable: {last.Detail}");
        else if (counters.SinkFault is { } fault) result = HealthCheckResult.Unhealthy($"InfluxDB refuses the writes: {fault} (check Influx:Token, Influx:Org and Influx:Bucket)");
        else if (counters.CircuitOpen) result = HealthCheckResult.Unhealthy("InfluxDB answers /ping but writes fail: the write circuit is open");
        else result = HealthCheckResult.Healthy($"InfluxDB reachable ({last.Detail})");
        return Task.FromResult(result);
    }
}
