using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StreamLstm.Ingest;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Hosting.Health;

/// <summary>Readiness: partitions of the tick topic are assigned to this worker, or it waits for the topic to exist.</summary>
public sealed class KafkaHealthCheck(PipelineCounters counters, IOptions<KafkaOptions> kafka) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var options = kafka.Value;
        int assigned = counters.AssignedPartitions;
        var result = assigned > 0
            ? HealthCheckResult.Healthy($"{assigned} partition(s) of {options.Topic} assigned")
            : counters.TopicMissing
                ? HealthCheckResult.Healthy($"waiting for topic {options.Topic} to exist")
                : HealthCheckResult.Unhealthy($"no partition of {options.Topic} assigned in group {options.GroupId} (joining, or the brokers are unreachable)");
        return Task.FromResult(result);
    }
}
