using StreamLstm.Features;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using OpenTelemetry.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.State;
using StreamLstm.Telemetry;
using StreamLstm.Ticks;
using TorchSharp;

namespace StreamLstm.Bench;

/// <summary>
/// Suite <c>pipeline</c>: 1,000 symbols, 3 horizons, a 2 x 64 model.
/// - <c>inproc_ticks_per_s</c>: ticks through the worker's per-tick path (features, batched step, decode, line
///   protocol) into a sink that counts serialized points; baseline: the same ticks' LSTM steps alone.
/// - <c>kafka_ticks_per_s</c>: ticks from the in-process Kafka cluster through the whole streaming pipeline; baseline
///   <c>raw_consume_per_s</c>: a bare consumer reading the same topic in the same run.
/// - <c>latency_p50_ms</c>/<c>latency_p99_ms</c>: from the consumer handing a tick over to its points being serialized
///   into the sink's batch, at an offered 20,000 ticks/s; <c>latency_p99_ms_retraining</c> the same (other ticks, same
///   run) while the retraining loop trains challengers (1 training thread, on 50 symbols x 2,000 ticks of history).
/// - <c>bytes_per_symbol</c>: resident memory growth after a full GC from 0 to 100,000 warm symbols, per symbol.
/// </summary>
public static class PipelineSuite
{
    private const int Symbols = 1000;

    public static Dictionary<string, double> Run()
    {
        var figures = new Dictionary<string, double>();
        using var model = BenchModel();

        InProcess(model, figures);
        Admission(figures);
        Kafka(model, figures);
        Memory(model, figures);
        Swap(model, figures);
        return figures;
    }

    /// <summary>Suite <c>restore</c>: only <c>restore_ms_10000_symbols</c> and its baseline (also part of <c>pipeline</c>).</summary>
    public static Dictionary<string, double> RunRestore()
    {
        var figures = new Dictionary<string, double>();
        using var model = BenchModel();
        Restore(model, figures);
        return figures;
    }

    /// <summary>Suite <c>profiles</c>: only the output profiles through Kafka, with raw consumption (also part of <c>pipeline</c>).</summary>
    public static Dictionary<string, double> RunProfiles()
    {
        var figures = new Dictionary<string, double>();
        using var model = BenchModel();
        using var cluster = new InProcessKafkaCluster();
        var ticks = Measure.Ticks(Symbols, 120, seed: 2);
        TickPublisher.Publish(ticks, cluster.BootstrapServers, "bench-ticks", rate: null);
        double raw = RawConsume(cluster.BootstrapServers, "bench-ticks", ticks.Count);
        figures["raw_consume_per_s"] = raw;
        Profiles(cluster.BootstrapServers, ticks.Count, model, raw, figures);
        return figures;
    }

    /// <summary>
    /// Suite <c>features</c>: the in-process per-tick path with a <c>quote</c> model on quote ticks (bid, ask, volume)
    /// against a <c>price</c> model on the same ticks, eight interleaved runs each: <c>inproc_ticks_per_s_quote</c>,
    /// <c>inproc_ticks_per_s_price</c> and <c>quote_vs_price_inproc_ratio</c>. Every tick computes all nine features
    /// whichever model serves; a quote model reads nine inputs instead of four.
    /// </summary>
    public static Dictionary<string, double> RunFeatures()
    {
        var figures = new Dictionary<string, double>();
        using var price = BenchModel();
        using var quote = BenchModel(FeatureSets.Quote);
        var ticks = Measure.Ticks(Symbols, 300, seed: 1)
            .Select((t, i) => new IngestedTick(t with { Volume = 100 + i % 97, Bid = t.Price * 0.9999, Ask = t.Price * 1.0001 }, new SourcePosition(0, i)))
            .ToArray();
        double Through(ModelVersion model)
        {
            var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < ticks.Length; i += StreamingPipeline.MaxBatch)
                processor.Process(ticks.AsSpan(i, Math.Min(StreamingPipeline.MaxBatch, ticks.Length - i)), new PointBatch());
            return ticks.Length / clock.Elapsed.TotalSeconds;
        }
        Through(price);
        Through(quote);
        var (p, q) = (new List<double>(), new List<double>());
        for (int run = 0; run < 8; run++)
        {
            bool quoteFirst = run % 2 == 1;
            (quoteFirst ? q : p).Add(Through(quoteFirst ? quote : price));
            (quoteFirst ? p : q).Add(Through(quoteFirst ? price : quote));
        }
        double pm = Measure.Median(p), qm = Measure.Median(q);
        figures["inproc_ticks_per_s_quote"] = qm;
        figures["inproc_ticks_per_s_price"] = pm;
        figures["quote_vs_price_inproc_ratio"] = qm / pm;
        Suites.Log($"in-process, quote ticks: {Suites.F(qm)} ticks/s with a quote model, {Suites.F(pm)} with a price model (ratio {qm / pm:F3})");
        return figures;
    }

    internal static ModelVersion BenchModel(string features = FeatureSets.Price)
    {
        var settings = new ModelSettings { HiddenSize = 64, Layers = 2, Horizons = 3, Warmup = 30 }.WithFeatures(features);
        torch.manual_seed(1);
        return new ModelVersion(new LstmForecaster(settings), new ModelConfiguration(settings, Calibration.Identity(3)), new ModelMetadata { Version = "bench" });
    }

    private static void InProcess(ModelVersion model, Dictionary<string, double> figures)
    {
        var ticks = Measure.Ticks(Symbols, 300, seed: 1).Select((t, i) => new IngestedTick(t, new SourcePosition(0, i))).ToArray();
        // With state checkpoints (the worker's default; every 500 ms here, ten times the default interval, so each run
        // of about a second takes some: the encoding on the loop, no changelog) and without, interleaved.
        double ThroughPath(bool checkpoints)
        {
            var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
            var clock = Stopwatch.StartNew();
            var checkpointed = Stopwatch.StartNew();
            long points = 0;
            for (int i = 0; i < ticks.Length; i += StreamingPipeline.MaxBatch)
            {
                var batch = new PointBatch();
                processor.Process(ticks.AsSpan(i, Math.Min(StreamingPipeline.MaxBatch, ticks.Length - i)), batch);
                points += batch.Points;
                if (checkpoints && checkpointed.Elapsed >= TimeSpan.FromMilliseconds(500))
                {
                    _ = processor.Checkpoint();
                    checkpointed.Restart();
                }
            }
            return ticks.Length / clock.Elapsed.TotalSeconds;
        }
        ThroughPath(checkpoints: true);
        var on = new List<double>();
        var off = new List<double>();
        for (int run = 0; run < 8; run++)
        {
            bool checkpoints = (run % 4) is 0 or 3;
            (checkpoints ? on : off).Add(ThroughPath(checkpoints));
        }
        double pipeline = Measure.Median(on), pipelineOff = Measure.Median(off);
        figures["inproc_ticks_per_s_checkpoints_off"] = pipelineOff;
        figures["inproc_checkpoints_on_vs_off_ratio"] = pipeline / pipelineOff;

        var stepper = BatchForecaster.CreateStepper(model.Network);
        var states = Enumerable.Range(0, Symbols).Select(_ => new RecurrentState(model.Settings.Layers, model.Settings.HiddenSize)).ToList();
        var inputs = new float[Symbols * model.Settings.InputSize];
        var raw = new float[Symbols * model.Settings.OutputSize];
        double StepsOnly()
        {
            var clock = Stopwatch.StartNew();
            for (int r = 0; r < 100; r++) stepper.Step(states, inputs, raw);
            return 100.0 * Symbols / clock.Elapsed.TotalSeconds;
        }
        StepsOnly();
        double steps = Measure.Median(Enumerable.Range(0, 3).Select(_ => StepsOnly()));
        figures["inproc_ticks_per_s"] = pipeline;
        figures["baseline_engine_steps_per_s_b1000"] = steps;
        figures["inproc_vs_engine_ratio"] = pipeline / steps;
        Suites.Log($"in-process: {Suites.F(pipeline)} ticks/s through the per-tick path with checkpoints every 500 ms, {Suites.F(pipelineOff)} without " +
            $"(ratio {pipeline / pipelineOff:F3}); engine steps alone {Suites.F(steps)}/s (ratio {pipeline / steps:F2})");
    }

    /// <summary>
    /// What the consume thread's checks beyond the format cost (clock skew and the symbol bound, <see cref="TickAdmission"/>):
    /// tick messages of 1,000 symbols parsed and admitted, next to parsed only (the baseline), in the same run.
    /// </summary>
    private static void Admission(Dictionary<string, double> figures)
    {
        var messages = Measure.Ticks(Symbols, 300, seed: 2).Select(TickPublisher.Serialize).ToArray();
        double Rate(bool admit)
        {
            var admission = new TickAdmission(new TickSettings(), new ServingSettings().MaxSymbols);
            long admitted = 0;
            var clock = Stopwatch.StartNew();
            foreach (var message in messages)
            {
                if (!TickParser.TryParse(message, out var tick, out _)) throw new InvalidOperationException("a benchmark message did not parse");
                if (!admit || admission.Admit(tick, 0) is null) admitted++;
            }
            if (admitted != messages.Length) throw new InvalidOperationException("a benchmark tick was refused");
            return messages.Length / clock.Elapsed.TotalSeconds;
        }
        Rate(admit: true);
        double parsed = Measure.Median(Enumerable.Range(0, 5).Select(_ => Rate(admit: false)));
        double checkedToo = Measure.Median(Enumerable.Range(0, 5).Select(_ => Rate(admit: true)));
        figures["parse_ticks_per_s"] = parsed;
        figures["parse_and_admit_ticks_per_s"] = checkedToo;
        figures["parse_and_admit_vs_parse_ratio"] = checkedToo / parsed;
        Suites.Log($"consume thread: {Suites.F(parsed)} messages/s parsed, {Suites.F(checkedToo)}/s parsed and admitted (ratio {checkedToo / parsed:F2})");
    }

    /// <summary>
    /// How long a model swap holds the forecast loop with 1,000 warm symbols, re-warmed by replaying each symbol's last
    /// 1,000 ticks of history beside the stream (what the worker does), next to rebuilding the recurrent state from the
    /// 60-row feature window only, all on the loop (no history; the baseline). Runs last: its history would distort the
    /// memory figure.
    /// </summary>
    private static void Swap(ModelVersion model, Dictionary<string, double> figures)
    {
        var work = Path.Combine(Path.GetTempPath(), "streamlstm-bench-swap-" + Guid.NewGuid().ToString("N"));
        try
        {
            var ticks = Measure.Ticks(Symbols, 1_000, seed: 6).Select((t, i) => new IngestedTick(t, new SourcePosition(0, i))).ToArray();
            using var history = new TickHistory(new HistorySettings { Directory = work }, "bench-swap");
            var withHistory = new TickProcessor(model, new ServingSettings(), new PipelineCounters(), history, rewarmTicks: 1_000);
            var windowOnly = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
            for (int i = 0; i < ticks.Length; i += StreamingPipeline.MaxBatch)
            {
                var slice = ticks.AsSpan(i, Math.Min(StreamingPipeline.MaxBatch, ticks.Length - i));
                withHistory.Process(slice, new PointBatch());
                windowOnly.Process(slice, new PointBatch());
            }
            // The loop is held only to copy the histories and to hand over; the replay runs beside the stream.
            (double Pause, double Replay) Time(TickProcessor processor)
            {
                var clock = Stopwatch.StartNew();
                var preparation = processor.PrepareSwap(model);
                double copy = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                preparation.Replay();
                double replay = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                processor.CompleteSwap(preparation);
                return (copy + clock.Elapsed.TotalMilliseconds, replay);
            }
            double WindowOnly()
            {
                var clock = Stopwatch.StartNew();
                windowOnly.SwapModel(model);
                return clock.Elapsed.TotalMilliseconds;
            }
            Time(withHistory);
            WindowOnly();
            var runs = Enumerable.Range(0, 3).Select(_ => Time(withHistory)).ToList();
            double pause = Measure.Median(runs.Select(r => r.Pause)), replay = Measure.Median(runs.Select(r => r.Replay));
            double window = Measure.Median(Enumerable.Range(0, 3).Select(_ => WindowOnly()));
            figures["swap_pause_ms_1000_symbols"] = pause;
            figures["swap_replay_beside_stream_ms_1000_symbols"] = replay;
            figures["baseline_swap_window_only_ms_1000_symbols"] = window;
            figures["swap_pause_vs_window_only_ratio"] = pause / window;
            Suites.Log($"swap with 1,000 symbols: the loop held {pause:F0} ms (copying histories, handing over) while the replay of 1,000 ticks each ran {replay:F0} ms beside it; " +
                $"a re-warm from the feature window only holds it {window:F0} ms (ratio {pause / window:F2})");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void Kafka(ModelVersion model, Dictionary<string, double> figures)
    {
        using var cluster = new InProcessKafkaCluster();
        // The mock cluster keeps only a few MB per partition: 120,000 small messages fit.
        var ticks = Measure.Ticks(Symbols, 120, seed: 2);
        TickPublisher.Publish(ticks, cluster.BootstrapServers, "bench-ticks", rate: null);

        double raw = RawConsume(cluster.BootstrapServers, "bench-ticks", ticks.Count);
        // Metrics on (the worker's default: instruments, the OpenTelemetry SDK aggregating them, a collection every
        // second as a scrape would) and off, eight of each in the order on, off, off, on, on, off, ..., so that a drift
        // over the runs (seen: 10% from first to last) weighs on both alike; the medians are compared. Runs here vary by
        // up to 20% each, so fewer would not tell a 5% cost from noise.
        var on = new List<double>();
        var off = new List<double>();
        for (int run = 0; run < 16; run++)
        {
            bool metrics = (run % 4) is 0 or 3;
            (metrics ? on : off).Add(ThroughKafka(cluster.BootstrapServers, "bench-ticks", ticks.Count, model, metrics, $"bench-pipeline-{run}"));
        }
        // State checkpoints on (every 500 ms: ten times as often as the default, so each run of about a second takes
        // some) and off, interleaved the same way, metrics on in both.
        var checkpointed = new List<double>();
        var plain = new List<double>();
        for (int run = 0; run < 16; run++)
        {
            bool state = (run % 4) is 0 or 3;
            (state ? checkpointed : plain).Add(ThroughKafka(cluster.BootstrapServers, "bench-ticks", ticks.Count, model, metrics: true, $"bench-state-{run}",
                state ? new StateSettings { CheckpointInterval = TimeSpan.FromMilliseconds(500) } : null));
        }
        double withState = Measure.Median(checkpointed), withoutState = Measure.Median(plain);
        figures["kafka_ticks_per_s_checkpoints_on"] = withState;
        figures["kafka_ticks_per_s_checkpoints_off"] = withoutState;
        figures["kafka_checkpoints_on_vs_off_ratio"] = withState / withoutState;
        Suites.Log($"kafka: {Suites.F(withState)} ticks/s with state checkpoints every 500 ms ({string.Join(", ", checkpointed.Select(Suites.F))}), " +
            $"{Suites.F(withoutState)} without ({string.Join(", ", plain.Select(Suites.F))}; ratio {withState / withoutState:F3})");
        Restore(model, figures);

        Profiles(cluster.BootstrapServers, ticks.Count, model, raw, figures);

        double rate = Measure.Median(on), rateOff = Measure.Median(off);
        figures["kafka_ticks_per_s"] = rate;
        figures["raw_consume_per_s"] = raw;
        figures["kafka_vs_raw_consume_ratio"] = rate / raw;
        figures["kafka_ticks_per_s_metrics_off"] = rateOff;
        figures["kafka_metrics_on_vs_off_ratio"] = rate / rateOff;
        Suites.Log($"kafka: {Suites.F(rate)} ticks/s through the pipeline with metrics ({string.Join(", ", on.Select(Suites.F))}), " +
            $"{Suites.F(rateOff)} without ({string.Join(", ", off.Select(Suites.F))}; ratio {rate / rateOff:F3}); raw consume {Suites.F(raw)}/s (ratio {rate / raw:F2})");

        // Latency at an offered 20,000 ticks/s, measured by the processor from hand-over to serialization: first with
        // nothing else running, then while the worker's retraining loop trains challengers back to back.
        var idle = Latency(cluster.BootstrapServers, model, "bench-latency", seed: 3, retraining: null);
        figures["latency_p50_ms"] = idle[idle.Length / 2];
        figures["latency_p99_ms"] = idle[(int)(idle.Length * 0.99)];
        Suites.Log($"latency at 20,000 ticks/s offered, idle: p50 {figures["latency_p50_ms"]:F3} ms, p99 {figures["latency_p99_ms"]:F3} ms over {idle.Length} ticks");

        var work = Path.Combine(Path.GetTempPath(), "streamlstm-bench-retraining-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var history = new TickHistory(new HistorySettings { Directory = Path.Combine(work, "history") }, "bench-history");
            foreach (var (tick, i) in Measure.Ticks(50, 2_000, seed: 4).Select((t, i) => (t, i))) history.Append(0, i, tick.Symbol, tick.Timestamp, tick.Price);
            history.Flush();
            var loop = new RetrainingLoop(new LearningSettings { CheckInterval = TimeSpan.FromMilliseconds(50) }, new TrainingSettings(), model.Settings,
                new ServingSettings(), new ModelStore(Path.Combine(work, "models")), history, drift: null, _ => { }, NullLogger.Instance);
            using var stopLoop = new CancellationTokenSource();
            var looping = loop.RunAsync(stopLoop.Token);
            var busy = Latency(cluster.BootstrapServers, model, "bench-latency-retraining", seed: 5, loop);
            stopLoop.Cancel();
            looping.GetAwaiter().GetResult();
            figures["latency_p50_ms_retraining"] = busy[busy.Length / 2];
            figures["latency_p99_ms_retraining"] = busy[(int)(busy.Length * 0.99)];
            figures["latency_p99_retraining_vs_idle_ratio"] = figures["latency_p99_ms_retraining"] / figures["latency_p99_ms"];
            figures["retraining_latency_samples"] = busy.Length;
            Suites.Log($"latency at 20,000 ticks/s offered, retraining (1 training thread, {loop.Outcomes.Count} retrains done meanwhile): " +
                $"p50 {figures["latency_p50_ms_retraining"]:F3} ms, p99 {figures["latency_p99_ms_retraining"]:F3} ms over {busy.Length} ticks " +
                $"(p99 ratio to idle {figures["latency_p99_retraining_vs_idle_ratio"]:F2})");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Latencies (sorted, ms) of 60 ticks per symbol offered at 20,000 ticks/s from a child process; with
    /// <paramref name="retraining"/>, it is kept training throughout and only ticks handed over while it trains count.
    /// </summary>
    private static double[] Latency(string bootstrap, ModelVersion model, string topic, int seed, RetrainingLoop? retraining)
    {
        var latencyTicks = Measure.Ticks(Symbols, 60, seed);
        var latency = new List<double>(latencyTicks.Count);
        var counters = new PipelineCounters();
        var kafka = new KafkaOptions { BootstrapServers = bootstrap, Topic = topic, GroupId = topic };
        var pipeline = new StreamingPipeline(kafka, model, new ServingSettings(),
            ack => new CountingSink(counters).WithAcknowledge(ack), NullLogger.Instance, counters)
        {
            LatencyObserver = ms =>
            {
                if (retraining is null || retraining.Training) latency.Add(ms);
            },
        };
        using var stop = new CancellationTokenSource();
        var running = pipeline.RunAsync(stop.Token);
        // Let the group settle before offering load.
        TickPublisher.Publish(latencyTicks.Take(Symbols), bootstrap, topic, rate: null);
        while (counters.Ticks < Symbols) Thread.Sleep(1);
        using var keepTraining = new Timer(_ => retraining?.Request(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        while (retraining is { Training: false }) Thread.Sleep(1);
        latency.Clear();
        // The load comes from another process, as a real feed would: the publisher's own work stays off this one.
        using (var publisher = Process.Start(new ProcessStartInfo("dotnet",
            [typeof(PipelineSuite).Assembly.Location, PublishVerb, bootstrap, topic, "20000", Symbols.ToString(), "60", seed.ToString(CultureInfo.InvariantCulture), Symbols.ToString()])
            { RedirectStandardError = true })!)
        {
            publisher.WaitForExit();
            if (publisher.ExitCode != 0) throw new InvalidOperationException($"publisher failed: {publisher.StandardError.ReadToEnd()}");
        }
        while (counters.Ticks < latencyTicks.Count) Thread.Sleep(1);
        stop.Cancel();
        running.GetAwaiter().GetResult();
        return latency.Order().ToArray();
    }

    /// <summary>Hidden verb of the benchmark executable: publishes the latency phase's ticks from a child process.</summary>
    internal const string PublishVerb = "publish-ticks";

    /// <summary><c>publish-ticks BOOTSTRAP TOPIC RATE SYMBOLS PER_SYMBOL SEED SKIP</c></summary>
    internal static int PublishFromChildProcess(string[] args)
    {
        var ticks = Measure.Ticks(int.Parse(args[4]), int.Parse(args[5]), int.Parse(args[6])).Skip(int.Parse(args[7]));
        TickPublisher.Publish(ticks, args[1], args[2], rate: double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>Ticks per second through the whole pipeline from the topic's start, with or without the worker's metrics.</summary>
    /// <summary>
    /// The output profiles (<c>Sink:Profile</c>) through the same Kafka path, metrics on, six runs of each interleaved
    /// (full, skill, lean, lean, skill, full, ...), medians compared: <c>kafka_ticks_per_s_PROFILE</c>, its ratio to raw
    /// consumption and to <c>full</c> in the same loop. The ticks are a second apart per symbol, so lean's default
    /// <c>Sink:MinInterval</c> (1 s) thins nothing here: its saving is the horizons (1 of 3) and the skill sums.
    /// </summary>
    private static void Profiles(string bootstrap, int count, ModelVersion model, double raw, Dictionary<string, double> figures)
    {
        var rates = OutputSettings.Profiles.ToDictionary(p => p, _ => new List<double>());
        for (int run = 0; run < 6; run++)
        {
            var order = run % 2 == 0 ? OutputSettings.Profiles : OutputSettings.Profiles.Reverse().ToArray();
            foreach (var profile in order)
                rates[profile].Add(ThroughKafka(bootstrap, "bench-ticks", count, model, metrics: true, $"bench-profile-{profile}-{run}",
                    output: new OutputSettings { Profile = profile }));
        }
        double full = Measure.Median(rates["full"]);
        foreach (var (profile, list) in rates)
        {
            double rate = Measure.Median(list);
            figures[$"kafka_ticks_per_s_{profile}"] = rate;
            figures[$"kafka_vs_raw_consume_ratio_{profile}"] = rate / raw;
            if (profile != "full") figures[$"kafka_{profile}_vs_full_ratio"] = rate / full;
            Suites.Log($"kafka, profile {profile}: {Suites.F(rate)} ticks/s ({string.Join(", ", list.Select(Suites.F))}); " +
                $"ratio to raw consume {rate / raw:F2}, to full {rate / full:F2}");
        }
    }

    private static double ThroughKafka(string bootstrap, string topic, int count, ModelVersion model, bool metrics, string group, StateSettings? state = null,
        OutputSettings? output = null)
    {
        var counters = new PipelineCounters();
        using var meter = metrics ? new System.Diagnostics.Metrics.Meter(WorkerMetrics.MeterName) : null;
        if (meter is not null) _ = new WorkerMetrics(meter, counters);
        using var provider = metrics
            ? OpenTelemetry.Sdk.CreateMeterProviderBuilder().AddMeter(WorkerMetrics.MeterName).AddReader(new OpenTelemetry.Metrics.BaseExportingMetricReader(new DiscardingExporter())).Build()
            : null;
        // A changelog of the run's own: another run's states would be restored and its ticks skipped as covered.
        var kafka = new KafkaOptions { BootstrapServers = bootstrap, Topic = topic, GroupId = group, StateTopic = $"{group}.state" };
        var sink = new CountingSink(counters);
        var pipeline = new StreamingPipeline(kafka, model, new ServingSettings(), ack => sink.WithAcknowledge(ack), NullLogger.Instance, counters)
        {
            State = state,
            Output = output ?? new OutputSettings(),
        };
        using var stop = new CancellationTokenSource();
        var running = pipeline.RunAsync(stop.Token);
        while (counters.Ticks == 0) Thread.Sleep(1);
        var clock = Stopwatch.StartNew();
        long start = counters.Ticks;
        var collected = Stopwatch.StartNew();
        while (counters.Ticks < count)
        {
            Thread.Sleep(1);
            if (provider is not null && collected.Elapsed >= TimeSpan.FromSeconds(1))
            {
                provider.ForceFlush();
                collected.Restart();
            }
        }
        double rate = (count - start) / clock.Elapsed.TotalSeconds;
        stop.Cancel();
        running.GetAwaiter().GetResult();
        if (state is not null && counters.Checkpoints == 0) throw new InvalidOperationException("a run with state checkpoints wrote none");
        return rate;
    }

    /// <summary>
    /// <c>restore_ms_10000_symbols</c>: the changelog states of 10,000 warm symbols (2 x 64 model, 3 horizons) over 8
    /// partitions read back to their end and restored into a new processor, as a worker assigned those partitions does;
    /// baseline: a bare consumer reading the same records. The mock cluster makes every topic with 4 partitions and keeps
    /// only about 5 MB of each, so the 8 partitions are those of two changelogs, read one after the other; it does not
    /// compact either, so each symbol is written once, and the run checks that every record was read back.
    /// </summary>
    private static void Restore(ModelVersion model, Dictionary<string, double> figures)
    {
        const int count = 10_000, perTopic = 4;
        using var cluster = new InProcessKafkaCluster();
        var changelogs = new[] { "a", "b" }.Select(name => new KafkaOptions
        {
            BootstrapServers = cluster.BootstrapServers, Topic = $"bench-restore-{name}", GroupId = "bench-restore", StateTopic = $"bench-restore-{name}.state",
        }).ToArray();
        int partitions = perTopic * changelogs.Length;
        var writer = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var names = Enumerable.Range(0, count).Select(i => $"SYM{i:D5}").ToArray();
        for (int round = 0; round <= model.Settings.Warmup + 5; round++)
        {
            var batch = names.Select((name, i) => new IngestedTick(new Tick(name, start.AddMinutes(round), 100 + Math.Sin(i + round)), new SourcePosition(i % partitions, round))).ToArray();
            for (int first = 0; first < batch.Length; first += StreamingPipeline.MaxBatch)
                writer.Process(batch.AsSpan(first, Math.Min(StreamingPipeline.MaxBatch, batch.Length - first)), new PointBatch());
        }
        var checkpoint = writer.Checkpoint()!;
        for (int t = 0; t < changelogs.Length; t++)
        {
            using var changelog = new StateChangelog(changelogs[t], NullLogger.Instance);
            var part = new StateCheckpoint(checkpoint.Partitions.Where(p => p.Partition / perTopic == t).Select(p => p with { Partition = p.Partition % perTopic }).ToList());
            string? failure = "not written";
            changelog.Write(part, error => failure = error);
            if (!changelog.Flush(TimeSpan.FromSeconds(60)) || failure is not null) throw new InvalidOperationException($"the changelog was not written: {failure}");
        }
        var own = Enumerable.Range(0, perTopic).ToList();
        double RestoreOnce()
        {
            var clock = Stopwatch.StartNew();
            var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
            int restored = 0;
            for (int t = 0; t < changelogs.Length; t++)
            {
                using var changelog = new StateChangelog(changelogs[t], NullLogger.Instance);
                foreach (var (partition, records) in changelog.Read(own, TimeSpan.FromSeconds(60)))
                    restored += processor.Restore(t * perTopic + partition, records).Restored;
            }
            double ms = clock.Elapsed.TotalMilliseconds;
            if (restored != count) throw new InvalidOperationException($"restored {restored} of {count} symbols");
            return ms;
        }
        double RawRead()
        {
            var clock = Stopwatch.StartNew();
            using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            {
                BootstrapServers = cluster.BootstrapServers, GroupId = "bench-restore-raw", EnableAutoCommit = false, EnablePartitionEof = true, FetchWaitMaxMs = 10,
            }).SetLogHandler((_, _) => { }).Build();
            consumer.Assign(changelogs.SelectMany(c => own.Select(p => new TopicPartitionOffset(c.StateTopicName, p, Offset.Beginning))));
            int read = 0, ended = 0;
            while (ended < partitions)
            {
                var result = consumer.Consume(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("the changelog ran dry");
                if (result.IsPartitionEOF) ended++;
                else read++;
            }
            double ms = clock.Elapsed.TotalMilliseconds;
            if (read != count) throw new InvalidOperationException($"read {read} of {count} records");
            return ms;
        }
        RestoreOnce();
        RawRead();
        var restores = new List<double>();
        var raws = new List<double>();
        for (int run = 0; run < 3; run++)
        {
            restores.Add(RestoreOnce());
            raws.Add(RawRead());
        }
        double restore = Measure.Median(restores), raw = Measure.Median(raws);
        figures["restore_ms_10000_symbols"] = restore;
        figures["baseline_raw_read_ms_10000_symbols"] = raw;
        figures["restore_vs_raw_read_ratio"] = restore / raw;
        figures["state_bytes_per_symbol"] = (double)checkpoint.Bytes / count;
        Suites.Log($"restore: {count:N0} symbols ({checkpoint.Bytes / count:N0} bytes each, {partitions} partitions) read back and restored in {restore:F0} ms " +
            $"({string.Join(", ", restores.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))}); a bare read of the same records {raw:F0} ms (ratio {restore / raw:F2})");
    }

    /// <summary>Takes what a collection exports and drops it: the benchmark measures collecting, not shipping.</summary>
    private sealed class DiscardingExporter : OpenTelemetry.BaseExporter<OpenTelemetry.Metrics.Metric>
    {
        public override OpenTelemetry.ExportResult Export(in OpenTelemetry.Batch<OpenTelemetry.Metrics.Metric> batch)
        {
            foreach (var metric in batch) _ = metric.Name;
            return OpenTelemetry.ExportResult.Success;
        }
    }

    private static double RawConsume(string bootstrap, string topic, int count)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-raw",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe(topic);
        var first = consumer.Consume(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no message to consume");
        var clock = Stopwatch.StartNew();
        int n = 1;
        while (n < count)
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(10));
            if (result is null) break;
            if (!result.IsPartitionEOF) n++;
        }
        double rate = (n - 1) / clock.Elapsed.TotalSeconds;
        consumer.Close();
        return rate;
    }

    private static void Memory(ModelVersion model, Dictionary<string, double> figures)
    {
        const int count = 100_000;
        var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
        long before = ResidentAfterGc();
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var batch = new IngestedTick[StreamingPipeline.MaxBatch];
        var names = Enumerable.Range(0, count).Select(i => $"SYM{i:D6}").ToArray();
        int warm = model.Settings.Warmup + 1;
        for (int round = 0; round < warm; round++)
        {
            for (int first = 0; first < count; first += batch.Length)
            {
                int n = Math.Min(batch.Length, count - first);
                for (int i = 0; i < n; i++)
                    batch[i] = new IngestedTick(new Tick(names[first + i], start.AddMinutes(round), 100 + (round % 3)), new SourcePosition(0, 0));
                processor.Process(batch.AsSpan(0, n), new PointBatch());
            }
        }
        long after = ResidentAfterGc();
        GC.KeepAlive(processor);
        figures["bytes_per_symbol"] = (double)(after - before) / count;
        Suites.Log($"memory: {(after - before) / count:N0} bytes per warm symbol over {count:N0} symbols");
    }

    private static long ResidentAfterGc()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    /// <summary>A sink that counts serialized points and acknowledges at once.</summary>
    private sealed class CountingSink(PipelineCounters counters) : IPointSink
    {
        private Action<IReadOnlyList<SourcePosition>> _acknowledge = _ => { };

        public CountingSink WithAcknowledge(Action<IReadOnlyList<SourcePosition>> acknowledge)
        {
            _acknowledge = acknowledge;
            return this;
        }

        public ValueTask WriteAsync(PointBatch batch, CancellationToken cancellationToken)
        {
            counters.AddPointsWritten(batch.Points);
            _acknowledge(batch.Positions);
            return ValueTask.CompletedTask;
        }

        public Task CompleteAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
