using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Hosting;

/// <summary>
/// Every <c>Logging:SummaryInterval</c> (default one minute; <c>00:00:00</c> turns it off) one structured Information
/// line: throughput, lag, served skill and coverage at one tick ahead over the interval, the model, readiness. So
/// <c>journalctl -u streamlstm</c> alone shows a healthy worker.
/// </summary>
public sealed partial class ActivitySummary(PipelineCounters counters, IConfiguration configuration, ILogger<ActivitySummary> logger, TimeProvider time) : BackgroundService
{
    /// <summary>Default time between two summary lines.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval(configuration["Logging:SummaryInterval"]);
        if (interval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(interval, time);
        var previous = Snapshot.Take(counters);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = Snapshot.Take(counters);
                long ticks = now.Ticks - previous.Ticks;
                long resolved = now.Score.Resolved - previous.Score.Resolved;
                double naive = now.Score.NaiveRelativeError - previous.Score.NaiveRelativeError;
                LogSummary(logger, ticks, ticks / interval.TotalSeconds, counters.Lag.Values.Sum(), counters.Symbols,
                    naive > 0 ? (now.Score.RelativeError - previous.Score.RelativeError) / naive : null,
                    resolved > 0 ? (double)(now.Score.Covered - previous.Score.Covered) / resolved : null,
                    now.DeadLetters - previous.DeadLetters, now.Late - previous.Late, counters.ServingModel, counters.Ready);
                previous = now;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary><c>Logging:SummaryInterval</c> as a time span (<c>hh:mm:ss</c>); unset means the default.</summary>
    public static TimeSpan Interval(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return DefaultInterval;
        if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var interval) || interval < TimeSpan.Zero)
            throw new InvalidOperationException($"invalid configuration Logging:SummaryInterval: '{text}' is not a time span such as 00:01:00 (00:00:00 turns the summary off)");
        return interval;
    }

    private readonly record struct Snapshot(long Ticks, long DeadLetters, long Late, PipelineCounters.HorizonScore Score)
    {
        public static Snapshot Take(PipelineCounters c) => new(c.Ticks, c.DeadLettered, c.Late, c.Horizons.GetValueOrDefault(1));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Summary: {Ticks} ticks ({TicksPerSecond:F1}/s), lag {Lag}, {Symbols} symbols, served rel_mae {RelMae:F4} and coverage80 {Coverage:F3} at h=1, {DeadLetters} dead letters, {Late} late, model {Model}, ready {Ready}")]
    private static partial void LogSummary(ILogger logger, long ticks, double ticksPerSecond, long lag, int symbols, double? relMae, double? coverage,
        long deadLetters, long late, string model, bool ready);
}
