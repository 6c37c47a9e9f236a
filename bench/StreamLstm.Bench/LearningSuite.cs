using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Ticks;
using StreamLstm.Telemetry;

namespace StreamLstm.Bench;

/// <summary>
/// Suite <c>learning</c>: <c>learning --data CSV [--rate TICKS_PER_S] [--interval hh:mm:ss] [--history N]</c> replays a price file
/// through the whole worker (in-process Kafka cluster, pipeline, tick history, retraining on) starting from an empty
/// model store, at a fixed rate, with scheduled retraining every interval (default 00:00:30; rate default 100/s), the history bounded to N ticks per symbol (default 10,000). It
/// reports every retrain with its figures (standard error), the served forecasts' rel_mae vs naive and coverage of the
/// 80% interval per horizon (from the <c>forecast_error</c> points), the coverage over consecutive fifths of the
/// stream, and latency p50/p99 of ticks that arrived while a retraining ran next to those that arrived while none did,
/// from 15 s after the start on (before that: the backlog published while the consumer joined, and compilation).
/// </summary>
public static class LearningSuite
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(15);

    public static Dictionary<string, double> Run(string[] args)
    {
        string data = Arg(args, "--data") ?? throw new ArgumentException("learning needs --data CSV");
        double rate = double.Parse(Arg(args, "--rate") ?? "100", CultureInfo.InvariantCulture);
        var interval = TimeSpan.Parse(Arg(args, "--interval") ?? "00:00:30", CultureInfo.InvariantCulture);
        int maxTicks = int.Parse(Arg(args, "--history") ?? "10000", CultureInfo.InvariantCulture);
        var ticks = PriceCsvReader.Read(data).Ticks;
        var work = Path.Combine(Path.GetTempPath(), "streamlstm-bench-learning-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            return Replay(ticks, rate, interval, maxTicks, work, Path.GetFileName(data));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static Dictionary<string, double> Replay(IReadOnlyList<Tick> ticks, double rate, TimeSpan interval, int maxTicks, string work, string name)
    {
        using var cluster = new InProcessKafkaCluster();
        var options = new ForecastingOptions
        {
            Kafka = new KafkaOptions { BootstrapServers = cluster.BootstrapServers, Topic = "ticks", GroupId = "bench-learning" },
            ModelDirectory = Path.Combine(work, "models"),
            Learning = new LearningSettings { Interval = interval, CheckInterval = TimeSpan.FromSeconds(1) },
            History = new HistorySettings { Directory = Path.Combine(work, "history"), MaxTicksPerSymbol = maxTicks },
        };
        var linePath = Path.Combine(work, "points.lp");
        var counters = new PipelineCounters();
        var idle = new List<double>();
        var retraining = new List<double>();
        var slow = new List<(double At, double Ms, bool Training)>();
        var since = Stopwatch.StartNew();
        long warmUp = 0;
        ForecastingService? service = null;
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Information)
            .AddFilter("StreamLstm.Pipeline.StreamingPipeline", LogLevel.Warning));
        service = new ForecastingService(options, ack => new LineFileSink(linePath, ack, counters), loggers, counters,
            ms =>
            {
                bool training = service!.Retraining!.Training;
                if (ms > 20) slow.Add((since.Elapsed.TotalSeconds, ms, training));
                // The first seconds are the backlog published while the consumer joined its group, met by a forecast
                // loop still being compiled: kept out of the steady-state figures, counted apart.
                if (since.Elapsed < WarmUp) warmUp++;
                else (training ? retraining : idle).Add(ms);
            });
        using var stop = new CancellationTokenSource();
        var running = service.RunAsync(stop.Token);
        var clock = Stopwatch.StartNew();
        Suites.Log($"learning: replaying {ticks.Count} ticks of {name} at {rate} ticks/s, retraining every {interval}");
        TickPublisher.Publish(ticks, cluster.BootstrapServers, options.Kafka.Topic, rate);
        while (counters.Ticks + counters.Late < ticks.Count && clock.Elapsed < TimeSpan.FromHours(1)) Thread.Sleep(100);
        // Let a retraining that is running finish, so its decision is counted.
        while (service.Retraining!.Training) Thread.Sleep(100);
        stop.Cancel();
        running.GetAwaiter().GetResult();
        var outcomes = service.Retraining.Outcomes;
        service.Dispose();

        var figures = new Dictionary<string, double>
        {
            ["ticks"] = counters.Ticks,
            ["seconds"] = clock.Elapsed.TotalSeconds,
            ["retrains"] = outcomes.Count,
            ["promotions"] = outcomes.Count(o => o.Decision.Promote),
            ["champions_retired_to_naive"] = outcomes.Count(o => o.ChampionRetired),
        };
        foreach (var o in outcomes)
            Suites.Log($"retrain ({o.Trigger}) over {o.Champion} on {o.Ticks} ticks: {(o.Decision.Promote ? $"promoted {o.Version}" : "rejected")}; " +
                $"held-out rel_mae {Show(o.RelMae)} vs champion {Show(o.ChampionRelMae)}, coverage80 {o.Coverage80:F3} on {o.Points} points, " +
                $"{o.Epochs} epochs, {o.Duration.TotalSeconds:F1} s{(o.ChampionRetired ? $"; naive beat {o.Champion}: retired" : "")}");
        Score(linePath, figures);
        // Where the slow ticks were (a stall delays every tick queued behind it).
        foreach (var group in slow.GroupBy(x => (int)x.At))
            Suites.Log($"  {group.Count()} ticks over 20 ms at second {group.Key} (worst {group.Max(x => x.Ms):F0} ms, {(group.All(x => x.Training) ? "retraining" : group.Any(x => x.Training) ? "mixed" : "idle")})");
        figures["latency_warmup_ticks_excluded"] = warmUp;
        Latency("idle", idle, figures);
        Latency("retraining", retraining, figures);
        if (figures.TryGetValue("latency_p99_ms", out var a) && figures.TryGetValue("latency_p99_ms_retraining", out var b))
            figures["latency_p99_retraining_vs_idle_ratio"] = b / a;
        return figures;
    }

    /// <summary>rel_mae, coverage and count per horizon from the <c>forecast_error</c> points, and coverage per fifth (h=1).</summary>
    private static void Score(string linePath, Dictionary<string, double> figures)
    {
        var abs = new Dictionary<int, (double Model, double Naive, long Covered, long N)>();
        var coveredH1 = new List<bool>();
        foreach (var line in File.ReadLines(linePath))
        {
            if (!line.StartsWith("forecast_error,", StringComparison.Ordinal)) continue;
            var fields = Fields(line);
            int h = int.Parse(Between(line, "horizon=", ","), CultureInfo.InvariantCulture);
            double model = double.Parse(fields["abs_error"], CultureInfo.InvariantCulture);
            double naive = double.Parse(fields["naive_abs_error"], CultureInfo.InvariantCulture);
            bool covered = fields["covered"] == "1";
            var s = abs.GetValueOrDefault(h);
            abs[h] = (s.Model + model, s.Naive + naive, s.Covered + (covered ? 1 : 0), s.N + 1);
            if (h == 1) coveredH1.Add(covered);
        }
        foreach (var (h, s) in abs.OrderBy(kv => kv.Key))
        {
            figures[$"rel_mae_h{h}"] = s.Model / s.Naive;
            figures[$"coverage80_h{h}"] = (double)s.Covered / s.N;
            figures[$"scored_h{h}"] = s.N;
        }
        for (int fifth = 0; fifth < 5 && coveredH1.Count >= 5; fifth++)
        {
            int from = coveredH1.Count * fifth / 5, to = coveredH1.Count * (fifth + 1) / 5;
            figures[$"coverage80_h1_fifth{fifth + 1}"] = coveredH1.Skip(from).Take(to - from).Count(c => c) / (double)(to - from);
        }
    }

    /// <summary>
    /// A point's fields by name: the section after the tags (the first space after <c>symbol=</c>, so a symbol cannot
    /// fake one) up to the timestamp, whatever order and fields the writer uses.
    /// </summary>
    private static Dictionary<string, string> Fields(string line)
    {
        int from = line.IndexOf(' ', line.IndexOf("symbol=", StringComparison.Ordinal)) + 1;
        int to = line.LastIndexOf(' ');
        return line[from..to].Split(',').Select(f => f.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1].TrimEnd('i'));
    }

    private static string Between(string line, string key, string end)
    {
        // Field keys are matched after the tag section so that a symbol cannot fake one.
        int fields = line.IndexOf(' ', line.IndexOf("symbol=", StringComparison.Ordinal));
        int from = key == "horizon=" ? line.IndexOf(key, StringComparison.Ordinal) + key.Length : line.IndexOf(key, fields, StringComparison.Ordinal) + key.Length;
        int to = line.IndexOf(end, from, StringComparison.Ordinal);
        return line[from..(to < 0 ? line.Length : to)];
    }

    private static void Latency(string phase, List<double> samples, Dictionary<string, double> figures)
    {
        if (samples.Count == 0) return;
        var sorted = samples.Order().ToArray();
        string suffix = phase == "idle" ? "" : "_" + phase;
        figures[$"latency_p50_ms{suffix}"] = sorted[sorted.Length / 2];
        figures[$"latency_p99_ms{suffix}"] = sorted[(int)(sorted.Length * 0.99)];
        figures[$"latency_samples{suffix}"] = sorted.Length;
    }

    private static string Show(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "n/a";

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
