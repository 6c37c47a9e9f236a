using Microsoft.Extensions.Diagnostics.HealthChecks;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Hosting.Health;

/// <summary>
/// Liveness: the forecast loop is not hung. Waiting for ticks, or on a slow sink (backpressure, by design), is alive;
/// so is starting (loading a model, joining the group, re-warming) for a grace period; one micro-batch taking longer
/// than <see cref="HungAfter"/> is not.
/// </summary>
public sealed class ForecastLoopHealthCheck(PipelineCounters counters) : IHealthCheck
{
    /// <summary>How long the worker may take to start its forecast loop.</summary>
    public static readonly TimeSpan StartGrace = TimeSpan.FromMinutes(5);

    /// <summary>How long one micro-batch (at most 4,096 ticks, milliseconds of work) may take before the loop counts as hung.</summary>
    public static readonly TimeSpan HungAfter = TimeSpan.FromSeconds(60);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (state, since) = counters.ForecastLoop;
        var result = state switch
        {
            ForecastLoopState.Starting when since < StartGrace => HealthCheckResult.Healthy($"starting ({Seconds(since)} so far)"),
            ForecastLoopState.Starting => HealthCheckResult.Unhealthy($"the forecast loop has not started after {Seconds(since)}"),
            ForecastLoopState.Waiting => HealthCheckResult.Healthy("waiting for ticks"),
            ForecastLoopState.WritingToSink => HealthCheckResult.Healthy($"waiting on the sink for {Seconds(since)} (backpressure)"),
            ForecastLoopState.Working when since < HungAfter => HealthCheckResult.Healthy("forecasting"),
            ForecastLoopState.Working => HealthCheckResult.Unhealthy($"one micro-batch has taken {Seconds(since)}: the forecast loop looks hung"),
            _ => HealthCheckResult.Unhealthy("the forecast loop has ended"),
        };
        return Task.FromResult(result);
    }

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds:F0} s";
}
