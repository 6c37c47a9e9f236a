using Microsoft.Extensions.Logging.Abstractions;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Ticks;
using TorchSharp;
using StreamLstm.Telemetry;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// Runs the worker's streaming pipeline against the fixtures' Kafka and InfluxDB, with a small model written to a
/// temporary store and loaded back the way the worker loads it.
/// </summary>
internal sealed class WorkerHarness : IDisposable
{
    public static readonly ModelSettings Settings = new() { HiddenSize = 8, Layers = 1, Horizons = 2, Warmup = 5 };

    /// <summary>Quick training for retraining tests: seconds on these data.</summary>
    public static readonly TrainingSettings Training = new() { Epochs = 8, BatchSize = 64, Stride = 5, Seed = 1 };

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "streamlstm-it", Guid.NewGuid().ToString("N"));

    /// <param name="group">The consumer group (default <c>worker-TOPIC</c>).</param>
    public WorkerHarness(KafkaFixture kafka, InfluxFixture influx, string topic, string bucket, string? group = null)
    {
        Directory.CreateDirectory(_directory);
        Kafka = new KafkaOptions
        {
            BootstrapServers = kafka.BootstrapServers,
            Topic = topic,
            DeadLetterTopic = topic + ".dlq",
            GroupId = group ?? "worker-" + topic,
            QueueTicks = 1000,
            // The mock cluster ignores a member leaving; a restarted worker gets partitions once the session expires.
            Consumer = new() { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "1000" },
        };
        Influx = new InfluxOptions
        {
            Url = influx.Url,
            Token = influx.Token,
            Org = influx.Org,
            Bucket = bucket,
            BatchPoints = 500,
            FlushInterval = TimeSpan.FromMilliseconds(50),
            QueueBatches = 4,
            BreakDuration = TimeSpan.FromSeconds(1),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
            RejectedPointsFile = Path.Combine(_directory, "rejected.lp"),
        };
        torch.manual_seed(5);
        using var network = new LstmForecaster(Settings);
        var store = new ModelStore(StoreDirectory);
        store.Add(network, Calibration.Identity(Settings.Horizons), new ModelMetadata { Version = "" });
        Model = store.LoadCurrent();
    }

    /// <summary>The model store the harness wrote.</summary>
    public string StoreDirectory => Path.Combine(_directory, "model");

    /// <summary>A model store with no version yet (cold start).</summary>
    public string EmptyStoreDirectory => Path.Combine(_directory, "empty-model");

    /// <summary>A new folder <paramref name="name"/> for a worker process to work in, deleted with the harness.</summary>
    public string WorkDirectory(string name) => Directory.CreateDirectory(Path.Combine(_directory, name)).FullName;

    /// <summary>Where the workers of <see cref="StartService"/> keep their tick history.</summary>
    public string HistoryDirectory => Path.Combine(_directory, "history");

    /// <summary>
    /// Starts the whole worker (pipeline, history, retraining) over <paramref name="storeDirectory"/> (default: the
    /// harness's store), as the hosted service runs it; it runs until <paramref name="stop"/> fires.
    /// </summary>
    public (ForecastingService Service, Task Running) StartService(CancellationToken stop, LearningSettings learning,
        PipelineCounters? counters = null, string? storeDirectory = null, ServingSettings? serving = null,
        TickSettings? ticks = null, Microsoft.Extensions.Logging.ILoggerFactory? loggers = null, StreamLstm.State.StateSettings? state = null,
        string? historyDirectory = null)
    {
        counters ??= new PipelineCounters();
        var options = new ForecastingOptions
        {
            Kafka = Kafka,
            ModelDirectory = storeDirectory ?? StoreDirectory,
            FollowInterval = TimeSpan.FromMilliseconds(200),
            Model = Settings,
            Training = Training,
            Serving = serving ?? new ServingSettings(),
            Learning = learning,
            History = new HistorySettings { Directory = historyDirectory ?? HistoryDirectory },
            Ticks = ticks ?? new TickSettings(),
            State = state ?? new StreamLstm.State.StateSettings(),
        };
        var service = new ForecastingService(options, ack => NewSink(ack, counters), loggers ?? NullLoggerFactory.Instance, counters);
        return (service, Task.Run(() => service.RunAsync(stop, TimeSpan.FromSeconds(20))));
    }

    /// <summary>
    /// <c>streamlstm run</c> against the fixtures with the harness's topic, bucket and store, learning off, statistics
    /// every 0.5 s, quick InfluxDB retries, serving <paramref name="httpUrl"/>, history under <paramref name="work"/>.
    /// </summary>
    public IEnumerable<string> RunArguments(string httpUrl, string work) =>
    [
        "run", $"--Kafka:BootstrapServers={Kafka.BootstrapServers}", $"--Kafka:Topic={Kafka.Topic}", $"--Kafka:DeadLetterTopic={Kafka.DeadLetterTopic}",
        $"--Kafka:GroupId={Kafka.GroupId}", "--Kafka:Consumer:session.timeout.ms=6000", "--Kafka:Consumer:heartbeat.interval.ms=1000",
        "--Kafka:Consumer:statistics.interval.ms=500",
        $"--Influx:Url={Influx.Url}", $"--Influx:Token={Influx.Token}", $"--Influx:Org={Influx.Org}", $"--Influx:Bucket={Influx.Bucket}",
        "--Influx:MaxRetryDelay=00:00:01", "--Influx:BreakDuration=00:00:01",
        $"--Model:Directory={StoreDirectory}", $"--History:Directory={Path.Combine(work, "history")}", "--Learning:Enabled=false",
        $"--Http:Url={httpUrl}",
    ];

    public KafkaOptions Kafka { get; }
    public InfluxOptions Influx { get; }
    public ModelVersion Model { get; }

    /// <summary>The InfluxDB sink of the worker started last, once its pipeline has made it (null before), for its status.</summary>
    public InfluxPointSink? Sink => Volatile.Read(ref _sink);

    private InfluxPointSink? _sink;

    private InfluxPointSink NewSink(Action<IReadOnlyList<SourcePosition>> acknowledge, PipelineCounters counters)
    {
        var sink = new InfluxPointSink(Influx, acknowledge, counters, NullLogger.Instance);
        Volatile.Write(ref _sink, sink);
        return sink;
    }

    /// <summary>
    /// Starts a pipeline (a worker) that runs until <paramref name="stop"/> fires, following the harness's store when
    /// <paramref name="followStore"/>, or <paramref name="follow"/> when given (shared by the group's workers when
    /// <paramref name="sharedStore"/>), writing the <paramref name="output"/> profile (default full).
    /// </summary>
    public (StreamingPipeline Pipeline, Task Running) Start(CancellationToken stop, PipelineCounters? counters = null, bool followStore = false,
        IModelStore? follow = null, OutputSettings? output = null, bool sharedStore = false)
    {
        counters ??= new PipelineCounters();
        var pipeline = new StreamingPipeline(Kafka, Model, new ServingSettings(),
            ack => NewSink(ack, counters), NullLogger.Instance, counters)
        {
            Follow = follow ?? (followStore ? new ModelStore(StoreDirectory) : null),
            FollowInterval = TimeSpan.FromMilliseconds(200),
            Output = output ?? new OutputSettings(),
            SharedStore = sharedStore,
        };
        return (pipeline, Task.Run(() => pipeline.RunAsync(stop, TimeSpan.FromSeconds(20))));
    }

    /// <summary>Writes another model (random weights from <paramref name="seed"/>) into the store and makes it current.</summary>
    public string AddVersion(int seed)
    {
        torch.manual_seed(seed);
        using var network = new LstmForecaster(Settings);
        return new ModelStore(StoreDirectory).Add(network, Calibration.Identity(Settings.Horizons), new ModelMetadata { Version = "" });
    }

    /// <summary>Interleaved symbols, one tick a minute each, distinct times per symbol.</summary>
    public static List<Tick> Ticks(IReadOnlyList<string> symbols, int perSymbol, int seed = 1)
    {
        var random = new Random(seed);
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var prices = symbols.Select((_, i) => 100.0 + i).ToArray();
        var ticks = new List<Tick>();
        for (int t = 0; t < perSymbol; t++)
            for (int s = 0; s < symbols.Count; s++)
            {
                prices[s] *= Math.Exp(0.01 * (random.NextDouble() - 0.5));
                ticks.Add(new Tick(symbols[s], start.AddMinutes(t), Math.Round(prices[s], 6)));
            }
        return ticks;
    }

    /// <summary>
    /// Interleaved symbols whose returns follow an AR(1) with coefficient <paramref name="phi"/> (0.6: a model can learn to beat the last price
    /// on them), one tick a minute each from <paramref name="start"/>; <paramref name="shuffled"/> poisons them: each
    /// symbol's returns are shuffled in time, which keeps their scale and destroys what there was to learn. Prices
    /// start at 100, or where <paramref name="continuing"/> left each symbol.
    /// </summary>
    public static List<Tick> Predictable(IReadOnlyList<string> symbols, int perSymbol, int seed, DateTime start, bool shuffled = false,
        IReadOnlyList<Tick>? continuing = null, double phi = 0.6)
    {
        var random = new Random(seed);
        var series = new List<double[]>();
        foreach (var symbol in symbols)
        {
            var returns = new double[perSymbol];
            double r = 0;
            for (int t = 0; t < perSymbol; t++)
            {
                double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
                returns[t] = r = phi * r + 0.002 * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            }
            if (shuffled) random.Shuffle(returns);
            var prices = new double[perSymbol];
            double price = continuing?.Last(t => t.Symbol == symbol).Price ?? 100;
            for (int t = 0; t < perSymbol; t++) prices[t] = Math.Round(price *= Math.Exp(returns[t]), 6);
            series.Add(prices);
        }
        var ticks = new List<Tick>(symbols.Count * perSymbol);
        for (int t = 0; t < perSymbol; t++)
            for (int s = 0; s < symbols.Count; s++)
                ticks.Add(new Tick(symbols[s], start.AddMinutes(t), series[s][t]));
        return ticks;
    }

    /// <summary>
    /// Publishes ticks keyed by symbol with the product's own serialization, in order: all sent before any
    /// acknowledgement is awaited (the idempotent producer keeps each partition's order), so a large file takes seconds.
    /// </summary>
    public static async Task PublishAsync(KafkaFixture kafka, string topic, IEnumerable<Tick> ticks) =>
        await Task.WhenAll(ticks.Select(tick => kafka.ProduceBytesAsync(topic, System.Text.Encoding.UTF8.GetBytes(tick.Symbol), TickPublisher.Serialize(tick))));

    public void Dispose()
    {
        Model.Dispose();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }
}
