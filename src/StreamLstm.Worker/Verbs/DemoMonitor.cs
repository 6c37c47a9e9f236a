using System.Diagnostics;
using StreamLstm.Pipeline;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// The demo's live output while the worker runs: a line a second (throughput, totals, the history, who serves, the
/// running rel_mae), and a line for each retrain decision and each model swap as soon as they happen.
/// </summary>
internal sealed class DemoMonitor(ForecastingService service, PipelineCounters counters, Task running, Stopwatch clock)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(1);

    private int _decisions;
    private string _serving = counters.ServingModel;
    private long _ticksAtLine, _pointsAtLine = -1;
    private TimeSpan _lineAt = clock.Elapsed;

    /// <summary>Reports until <paramref name="done"/> holds, the worker stops, or the run's clock reaches <paramref name="until"/>.</summary>
    public void WaitFor(Func<bool> done, TimeSpan until)
    {
        while (!done() && !running.IsCompleted && clock.Elapsed < until)
        {
            Task.WhenAny(running, Task.Delay(Poll)).Wait();
            Report();
        }
    }

    /// <summary>
    /// Prints what happened since the last call: decisions and swaps at once, the live line once a second (and at the
    /// <paramref name="final"/> call, if anything was written since the last one).
    /// </summary>
    public void Report(bool final = false)
    {
        var outcomes = service.Retraining?.Outcomes ?? [];
        for (; _decisions < outcomes.Count; _decisions++) Console.WriteLine(DemoReport.Decision(outcomes[_decisions]));
        if (counters.ServingModel != _serving)
        {
            Console.WriteLine($"{counters.ServingModel} now serves (was {_serving}): every symbol was re-warmed from its history for it first");
            _serving = counters.ServingModel;
        }
        var now = clock.Elapsed;
        if (final ? counters.PointsWritten == _pointsAtLine : now - _lineAt < LineInterval) return;
        long ticks = counters.Ticks;
        double rate = (ticks - _ticksAtLine) / (now - _lineAt).TotalSeconds;
        (_ticksAtLine, _pointsAtLine, _lineAt) = (ticks, counters.PointsWritten, now);
        var status = running.IsCompleted ? "stopped"
            : service.Pipeline.Assignment.Count == 0 ? "joining the consumer group"
            : service.Retraining?.Training == true ? $"{_serving} serves, retraining" : $"{_serving} serves";
        Console.WriteLine($"  {now.TotalSeconds,3:F0}s {rate,7:N0} ticks/s | {ticks,7:N0} ticks, {counters.Forecasts,7:N0} forecast | " +
            $"{counters.PointsWritten,7:N0} points written | history {service.History.Ticks,7:N0} | {status} | " +
            $"rel_mae {DemoReport.Format(service.Pipeline.LiveScore?.RelMae)} vs naive");
    }
}
