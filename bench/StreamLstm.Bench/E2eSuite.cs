using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using StreamLstm.Ingest;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Inference;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.State;
using StreamLstm.Telemetry;

namespace StreamLstm.Bench;

/// <summary>
/// Suite <c>e2e</c>: ticks (default 200,000 of 1,000 symbols, the <c>pipeline</c> suite's generator and 2 x 64 model)
/// published to the in-process Kafka cluster, then the whole worker path (<see cref="StreamingPipeline"/>, state
/// checkpoints at the default interval, the real <see cref="InfluxPointSink"/> with its defaults) into a real influxd
/// 1.6.7 behind the integration tests' v2-write forwarder, until every tick's points are acknowledged.
/// - <c>e2e_ticks_per_s</c>, <c>e2e_points_per_s</c>: ticks and points written over the wall time from the first tick
///   consumed to the last acknowledgement; <c>cpu_ms_per_mpoint</c>: this process's CPU time meanwhile (pipeline, sink
///   and the forwarder, not influxd) per million points.
/// - Baseline <c>raw_influx_points_per_s</c>: a bare writer (HttpClient, bodies encoded beforehand) posting the very
///   points the worker wrote, in the order it produced them (event time), in requests of <c>Influx:BatchPoints</c>
///   lines, 2 in flight, to the same forwarder; <c>raw_influx_points_per_s_by_series</c> the same points sorted by
///   series key, then time (for context). <c>e2e_vs_raw_influx_ratio</c>: the worker's over the bare writer's.
/// - One more worker run with <c>Influx:Gzip</c>: <c>e2e_points_per_s_gzip</c>, <c>gzip_cpu_ms_per_mpoint</c> (next to
///   <c>cpu_ms_per_mpoint</c>), <c>gzip_bytes_ratio</c> (bytes the forwarder received, compressed over uncompressed),
///   and <c>gzip_compress_cpu_ms_per_mpoint</c>, compressing the bodies alone at the sink's level.
/// Every run writes to a database of its own; worker and bare runs are interleaved and medians reported. Per output
/// profile, keys of a profile other than the default carry its name as a suffix (<c>e2e_ticks_per_s_lean</c>).
/// </summary>
public static class E2eSuite
{
    /// <summary>The default output profile: its keys have no suffix.</summary>
    private static readonly string DefaultProfile = new OutputSettings().Profile;

    /// <summary>The output profiles measured (<c>--profile NAME</c>: one of them only), each with its defaults.</summary>
    private static readonly string[] Profiles = OutputSettings.Profiles;

    private const string Org = "streamlstm";
    private const int RawInFlight = 2;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    public static Dictionary<string, double> Run(string[] args)
    {
        var (profiles, ticks, symbols) = Arguments(args);
        var executable = InfluxdServer.FindExecutable()
            ?? throw new FileNotFoundException($"influxd is not on PATH: install it with 'apt-get install influxdb' (or set {InfluxdServer.ExecutableVariable})");
        return RunAsync(executable, profiles, ticks, symbols).GetAwaiter().GetResult();
    }

    /// <summary><c>e2e [--profile NAME] [--ticks N] [--symbols N]</c></summary>
    private static (string[] Profiles, int Ticks, int Symbols) Arguments(string[] args)
    {
        string[] profiles = Profiles;
        int ticks = 200_000, symbols = 1_000;
        for (int i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Count()
            {
                var name = args[i];
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n
                    : throw new ArgumentException($"{name} must be a positive whole number, got '{text}'");
            }
            switch (args[i])
            {
                case "--profile":
                    var profile = Value();
                    profiles = Profiles.Contains(profile)
                        ? [profile]
                        : throw new ArgumentException($"unknown output profile '{profile}' (available: {string.Join(", ", Profiles)})");
                    break;
                case "--ticks": ticks = Count(); break;
                case "--symbols": symbols = Count(); break;
                default: throw new ArgumentException($"unknown option '{args[i]}' (e2e [--profile NAME] [--ticks N] [--symbols N])");
            }
        }
        if (ticks < symbols) throw new ArgumentException($"--ticks ({ticks}) must be at least --symbols ({symbols})");
        return (profiles, ticks, symbols);
    }

    /// <summary>
    /// An output profile with its defaults. The bench ticks are a second apart per symbol, so lean's default
    /// <c>Sink:MinInterval</c> (1 s) thins nothing: lean writes the price and the horizon-1 forecast of every tick.
    /// </summary>
    private static OutputSettings Output(string profile) => new() { Profile = profile };

    private static string Key(string name, string profile) => profile == DefaultProfile ? name : $"{name}_{profile}";

    private static async Task<Dictionary<string, double>> RunAsync(string executable, string[] profiles, int tickCount, int symbols)
    {
        var figures = new Dictionary<string, double>();
        using var model = PipelineSuite.BenchModel();
        await using var influxd = await InfluxdServer.StartAsync(executable, TimeSpan.FromSeconds(30), CancellationToken.None);
        await using var front = new InfluxForwarder(influxd.Url, translateV2Writes: true);
        await front.StartAsync();
        using var cluster = new InProcessKafkaCluster();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
        var work = Directory.CreateTempSubdirectory("streamlstm-bench-e2e-").FullName;
        try
        {
            const string topic = "e2e-ticks", warmTopic = "e2e-warm-up";
            var ticks = Measure.Ticks(symbols, tickCount / symbols, seed: 11);
            TickPublisher.Publish(ticks, cluster.BootstrapServers, topic, rate: null);
            EnsureAllReadable(cluster.BootstrapServers, topic, ticks.Count);
            // Enough ticks past the model's warm-up for every kind of point, to warm influxd, the JIT and the HTTP path.
            var warm = Measure.Ticks(symbols, model.Settings.Warmup + 10, seed: 12);
            TickPublisher.Publish(warm, cluster.BootstrapServers, warmTopic, rate: null);
            Suites.Log($"e2e: {Suites.F(ticks.Count)} ticks of {Suites.F(symbols)} symbols on the in-process Kafka cluster; {influxd} behind the v2-write forwarder at {front.Url}");
            var bench = new Bench(model, cluster.BootstrapServers, topic, ticks.Count, warmTopic, warm.Count, front, http, work);
            foreach (var profile in profiles) await ProfileAsync(bench, profile, figures);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        return figures;
    }

    private sealed record Bench(ModelVersion Model, string Bootstrap, string Topic, int Ticks, string WarmTopic, int WarmTicks, InfluxForwarder Front, HttpClient Http, string Work)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        /// <summary>Seconds since the suite started, for the progress lines.</summary>
        public string At => $"[{_clock.Elapsed.TotalSeconds,4:F0} s]";
    }

    private static async Task ProfileAsync(Bench bench, string profile, Dictionary<string, double> figures)
    {
        int batchPoints = new InfluxOptions().BatchPoints;
        var warm = await WorkerAsync(bench, profile, $"e2e_{profile}_warm", gzip: false, warmUp: true);
        Suites.Log($"{bench.At} e2e [{profile}]: warm-up run {Suites.F(warm.PointsPerSecond)} points/s over {Suites.F(bench.WarmTicks)} other ticks");
        // The first measured worker run keeps the batches it hands to its sink: their lines are what the bare writer posts.
        var first = await WorkerAsync(bench, profile, $"e2e_{profile}_1_W", gzip: false, capture: true);
        var lines = first.Lines!;
        Check(first, lines.Count);
        var inOrder = Bodies(lines, batchPoints);
        var bySeries = Bodies(lines.Select((line, i) => (line, i)).OrderBy(x => x.line.AsSpan(0, LineProtocol.SeriesKeyLength(x.line)).ToString(), StringComparer.Ordinal)
            .ThenBy(x => LineProtocol.TryTimestamp(x.line, out var t) ? t : long.MinValue).ThenBy(x => x.i).Select(x => x.line).ToList(), batchPoints);
        long bytes = inOrder.Sum(b => (long)b.Length);
        Suites.Log($"{bench.At}   worker: {Suites.F(first.PointsPerSecond)} points/s, {Suites.F(first.TicksPerSecond)} ticks/s, {first.CpuMsPerMillionPoints:F0} ms CPU per million points; " +
            $"{Suites.F(lines.Count)} points, {bytes / (double)lines.Count:F1} bytes each, in {inOrder.Count} requests of up to {Suites.F(batchPoints)} for the bare writer");

        double compress = CompressCost(inOrder, lines.Count);
        var worker = new List<WorkerRun> { first };
        var raw = new List<double>();
        var series = new List<double>();
        WorkerRun? gzip = null;
        int run = 1;
        // Interleaved so that a drift over the runs (influxd compacting earlier databases, the machine's other load)
        // weighs on each kind alike: W R, R W, W R with the others between the pairs.
        foreach (var kind in "RSRWGWRS")
        {
            var name = $"e2e_{profile}_{++run}_{kind}";
            switch (kind)
            {
                case 'W':
                    var w = await WorkerAsync(bench, profile, name, gzip: false);
                    Check(w, lines.Count);
                    worker.Add(w);
                    Suites.Log($"{bench.At}   worker: {Suites.F(w.PointsPerSecond)} points/s, {Suites.F(w.TicksPerSecond)} ticks/s, {w.CpuMsPerMillionPoints:F0} ms CPU per million points");
                    break;
                case 'G':
                    gzip = await WorkerAsync(bench, profile, name, gzip: true);
                    Check(gzip, lines.Count);
                    Suites.Log($"{bench.At}   worker, gzip: {Suites.F(gzip.PointsPerSecond)} points/s, {gzip.CpuMsPerMillionPoints:F0} ms CPU per million points, " +
                        $"{Suites.F(gzip.WireBytes)} bytes on the wire");
                    break;
                case 'R':
                    raw.Add(await RawAsync(bench, inOrder, lines.Count, name));
                    Suites.Log($"{bench.At}   bare writer, event-time order: {Suites.F(raw[^1])} points/s");
                    break;
                case 'S':
                    series.Add(await RawAsync(bench, bySeries, lines.Count, name));
                    Suites.Log($"{bench.At}   bare writer, by series: {Suites.F(series[^1])} points/s");
                    break;
            }
        }

        double e2e = Measure.Median(worker.Select(w => w.PointsPerSecond)), rawRate = Measure.Median(raw);
        double cpu = Measure.Median(worker.Select(w => w.CpuMsPerMillionPoints));
        double wire = Measure.Median(worker.Select(w => (double)w.WireBytes));
        figures[Key("e2e_ticks_per_s", profile)] = Measure.Median(worker.Select(w => w.TicksPerSecond));
        figures[Key("e2e_points_per_s", profile)] = e2e;
        figures[Key("raw_influx_points_per_s", profile)] = rawRate;
        figures[Key("raw_influx_points_per_s_by_series", profile)] = Measure.Median(series);
        figures[Key("e2e_vs_raw_influx_ratio", profile)] = e2e / rawRate;
        // Each worker run next to the bare run beside it (W R, R W, W R), the median of the three: less swayed by a slow spell.
        figures[Key("e2e_vs_raw_influx_ratio_by_pair", profile)] = Measure.Median(worker.Zip(raw, (w, r) => w.PointsPerSecond / r));
        figures[Key("e2e_points_per_tick", profile)] = (double)lines.Count / bench.Ticks;
        figures[Key("bytes_per_point", profile)] = (double)bytes / lines.Count;
        figures[Key("cpu_ms_per_mpoint", profile)] = cpu;
        figures[Key("e2e_points_per_s_gzip", profile)] = gzip!.PointsPerSecond;
        figures[Key("gzip_cpu_ms_per_mpoint", profile)] = gzip.CpuMsPerMillionPoints;
        figures[Key("gzip_vs_off_cpu_ratio", profile)] = gzip.CpuMsPerMillionPoints / cpu;
        figures[Key("gzip_bytes_ratio", profile)] = gzip.WireBytes / wire;
        figures[Key("gzip_compress_cpu_ms_per_mpoint", profile)] = compress;
        figures[Key("e2e_gzip_vs_off_ratio", profile)] = gzip.PointsPerSecond / e2e;
        Suites.Log($"e2e [{profile}]: worker {Suites.F(e2e)} points/s ({string.Join(", ", worker.Select(w => Suites.F(w.PointsPerSecond)))}), " +
            $"bare writer {Suites.F(rawRate)} ({string.Join(", ", raw.Select(Suites.F))}; ratio {e2e / rawRate:F3}), by series {string.Join(", ", series.Select(Suites.F))}; " +
            $"gzip {Suites.F(gzip.PointsPerSecond)} points/s, CPU {gzip.CpuMsPerMillionPoints:F0} vs {cpu:F0} ms per million points (compressing alone {compress:F0}), bytes {gzip.WireBytes / wire:F3} of uncompressed");
    }

    /// <summary>Milliseconds of one thread's time per million points to gzip the bodies as the sink does (its level), alone.</summary>
    private static double CompressCost(IReadOnlyList<byte[]> bodies, int points)
    {
        double Once()
        {
            var clock = Stopwatch.StartNew();
            foreach (var body in bodies)
            {
                using var compressed = new MemoryStream(body.Length / 2);
                using var gzip = new System.IO.Compression.GZipStream(compressed, InfluxPointSink.GzipLevel);
                gzip.Write(body);
            }
            return clock.Elapsed.TotalMilliseconds / (points / 1e6);
        }
        Once();
        return Measure.Median(Enumerable.Range(0, 3).Select(_ => Once()));
    }

    private static void Check(WorkerRun run, int points)
    {
        if (run.Points != points) throw new InvalidOperationException($"a worker run wrote {run.Points} points, the first {points}: the same ticks must give the same points");
    }

    private sealed record WorkerRun(double TicksPerSecond, double PointsPerSecond, long Points, double CpuMsPerMillionPoints, long WireBytes, List<string>? Lines);

    /// <summary>
    /// One run of the worker's pipeline over the whole topic (<paramref name="warmUp"/>: the warm-up topic) into database
    /// <paramref name="database"/>; <paramref name="capture"/>: with the lines it wrote.
    /// </summary>
    private static async Task<WorkerRun> WorkerAsync(Bench bench, string profile, string database, bool gzip, bool capture = false, bool warmUp = false)
    {
        var (topic, ticks) = warmUp ? (bench.WarmTopic, bench.WarmTicks) : (bench.Topic, bench.Ticks);
        await bench.Front.EnsureDatabaseAsync(database);
        var counters = new PipelineCounters();
        var influx = new InfluxOptions
        {
            Url = bench.Front.Url.ToString(), Token = "bench", Org = Org, Bucket = database, Gzip = gzip,
            RejectedPointsFile = Path.Combine(bench.Work, database + ".rejected.lp"),
        };
        // A group and a changelog of the run's own: another run's states would be restored and its ticks skipped.
        var kafka = new KafkaOptions { BootstrapServers = bench.Bootstrap, Topic = topic, GroupId = database, StateTopic = $"{database}.state" };
        long acknowledged = 0, lastAck = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = capture ? new List<PointBatch>() : null;
        var pipeline = new StreamingPipeline(kafka, bench.Model, new ServingSettings(), ack =>
        {
            IPointSink sink = new InfluxPointSink(influx, positions =>
            {
                ack(positions);
                Volatile.Write(ref lastAck, Stopwatch.GetTimestamp());
                if (Interlocked.Add(ref acknowledged, positions.Count) >= ticks) done.TrySetResult();
            }, counters, NullLogger.Instance);
            return batches is null ? sink : new CapturingSink(sink, batches);
        }, NullLogger.Instance, counters)
        {
            State = new StateSettings(),
            Output = Output(profile),
        };
        using var stop = new CancellationTokenSource();
        var running = pipeline.RunAsync(stop.Token);
        while (counters.Ticks == 0)
        {
            if (running.IsCompleted) await running;
            Thread.Sleep(1);
        }
        long first = Stopwatch.GetTimestamp();
        var cpuFirst = CpuTime();
        long bytesFirst = bench.Front.WriteBytes;
        try
        {
            await done.Task.WaitAsync(RunTimeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"the worker run into {database} did not finish within {RunTimeout}: {Interlocked.Read(ref acknowledged)} of {ticks} ticks acknowledged, " +
                $"{counters.PointsWritten} points written, {counters.WriteFailures} failed writes");
        }
        var cpu = CpuTime() - cpuFirst;
        long wire = bench.Front.WriteBytes - bytesFirst;
        double seconds = Stopwatch.GetElapsedTime(first, Volatile.Read(ref lastAck)).TotalSeconds;
        long points = counters.PointsWritten;
        await stop.CancelAsync();
        await running;
        if (counters.PointsRejected > 0) throw new InvalidOperationException($"influxd rejected {counters.PointsRejected} points of the run into {database}");
        var lines = batches?.SelectMany(b => b.Lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
        return new WorkerRun(ticks / seconds, points / seconds, points, cpu.TotalMilliseconds / (points / 1e6), wire, lines);
    }

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>The bare writer: <paramref name="bodies"/> posted in order, <see cref="RawInFlight"/> at a time; points per second.</summary>
    private static async Task<double> RawAsync(Bench bench, IReadOnlyList<byte[]> bodies, int points, string database)
    {
        await bench.Front.EnsureDatabaseAsync(database);
        var uri = new Uri(bench.Front.Url, $"/api/v2/write?org={Org}&bucket={Uri.EscapeDataString(database)}&precision=ns");
        int next = -1;
        async Task Writer()
        {
            for (int i = Interlocked.Increment(ref next); i < bodies.Count; i = Interlocked.Increment(ref next))
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(bodies[i]) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
                request.Headers.Authorization = new AuthenticationHeaderValue("Token", "bench");
                using var response = await bench.Http.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.NoContent)
                    throw new InvalidOperationException($"the bare writer's request {i} was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, RawInFlight).Select(_ => Task.Run(Writer)));
        return points / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Request bodies (UTF-8) of up to <paramref name="perRequest"/> lines each, in the order given.</summary>
    private static List<byte[]> Bodies(IReadOnlyList<string> lines, int perRequest)
    {
        var bodies = new List<byte[]>();
        var text = new StringBuilder();
        for (int first = 0; first < lines.Count; first += perRequest)
        {
            text.Clear();
            for (int i = first; i < Math.Min(lines.Count, first + perRequest); i++) text.Append(lines[i]).Append('\n');
            bodies.Add(Encoding.UTF8.GetBytes(text.ToString()));
        }
        return bodies;
    }

    /// <summary>The mock cluster drops the oldest messages of a partition beyond a few MB: every tick must still be there.</summary>
    private static void EnsureAllReadable(string bootstrap, string topic, int count)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "e2e-watermarks" })
            .SetLogHandler((_, _) => { }).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).SetLogHandler((_, _) => { }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions;
        long readable = 0;
        foreach (var p in partitions)
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), TimeSpan.FromSeconds(10));
            if (marks.Low > 0) throw new ArgumentException($"the in-process Kafka cluster dropped the first {marks.Low} ticks of partition {p.PartitionId}: use fewer --ticks");
            readable += marks.High - marks.Low;
        }
        if (readable != count) throw new InvalidOperationException($"{readable} of {count} ticks are readable on {topic}");
    }

    /// <summary>
    /// Keeps every batch with points, in the order the pipeline hands them over (nothing changes a batch once handed
    /// over; their text is read after the run), and passes it on.
    /// </summary>
    private sealed class CapturingSink(IPointSink inner, List<PointBatch> batches) : IPointSink
    {
        public ValueTask WriteAsync(PointBatch batch, CancellationToken cancellationToken)
        {
            if (batch.Points > 0) batches.Add(batch);
            return inner.WriteAsync(batch, cancellationToken);
        }

        public Task CompleteAsync(CancellationToken cancellationToken) => inner.CompleteAsync(cancellationToken);
    }
}
