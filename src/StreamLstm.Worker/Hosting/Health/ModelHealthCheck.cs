using Microsoft.Extensions.Diagnostics.HealthChecks;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Hosting.Health;

/// <summary>Readiness: a model is loaded, or naive serves by design (cold start, or a retired champion); not a current version that cannot be loaded.</summary>
public sealed class ModelHealthCheck(PipelineCounters counters) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var serving = counters.ServingModel;
        var result = counters.ModelProblem is { } problem
            ? HealthCheckResult.Unhealthy(problem)
            : serving.Length == 0
                ? HealthCheckResult.Unhealthy("loading the model")
                : HealthCheckResult.Healthy($"serving {serving}");
        return Task.FromResult(result);
    }
}
