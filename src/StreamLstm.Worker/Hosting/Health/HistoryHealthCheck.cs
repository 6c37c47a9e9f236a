using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StreamLstm.Learning;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Hosting.Health;

/// <summary>
/// Readiness: the tick history's disk takes writes. A small file is written and removed in <c>History:Directory</c> (at
/// most every <see cref="ProbeInterval"/>), and a history write refused within the last <see cref="RecentFailure"/>
/// counts as a failure too (a full disk may still take a tiny file).
/// </summary>
public sealed class HistoryHealthCheck(IOptions<HistorySettings> history, PipelineCounters counters, TimeProvider time) : IHealthCheck
{
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan RecentFailure = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private (DateTime At, string? Problem) _probe = (DateTime.MinValue, null);
    private long _failuresSeen;
    private DateTime _lastFailureAt = DateTime.MinValue;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var directory = Path.GetFullPath(history.Value.Directory);
        string? problem;
        lock (_gate)
        {
            long failures = counters.HistoryFailures;
            if (failures != _failuresSeen)
            {
                _failuresSeen = failures;
                _lastFailureAt = now;
            }
            if (now - _probe.At >= ProbeInterval) _probe = (now, Probe(directory));
            problem = _probe.Problem ?? (now - _lastFailureAt < RecentFailure ? $"history writes fail: {counters.LastHistoryFailure}" : null);
        }
        return Task.FromResult(problem is null
            ? HealthCheckResult.Healthy($"{directory} takes writes")
            : HealthCheckResult.Unhealthy(problem));
    }

    private static string? Probe(string directory)
    {
        var probe = Path.Combine(directory, ".write-probe");
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{directory} does not take writes: {ex.Message}";
        }
    }
}
