using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamLstm.Evaluation;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.IntegrationTests.Worker;
using StreamLstm.Model;
using StreamLstm.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;

namespace StreamLstm.IntegrationTests.Model;

/// <summary>
/// The model store on a Kafka topic, against the fixture's cluster; each test has a topic of its own, made before it
/// starts. (The mock cluster has no controller, so the store cannot create a topic there: it is auto-created with 4
/// partitions at the first write, and the store uses partition 0 of it as of any topic.)
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaModelStoreTests(KafkaFixture kafka, ITestOutputHelper output) : IAsyncLifetime
{
    private string _topic = "";
    private readonly ListLoggerFactory _logs = new();
    private readonly List<IModelStore> _stores = [];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "streamlstm-it", Guid.NewGuid().ToString("N"));

    /// <summary>A store on the test's topic: each is a worker of its own, with its own clients and its own view.</summary>
    private KafkaModelStore Store(int chunkBytes = KafkaModelStore.DefaultChunkBytes)
    {
        var store = new KafkaModelStore(Options(), _logs.CreateLogger("store")) { ChunkBytes = chunkBytes };
        _stores.Add(store);
        return store;
    }

    private KafkaOptions Options() => new() { BootstrapServers = kafka.BootstrapServers, ModelTopic = _topic, GroupId = "model-store-tests" };

    private static LstmForecaster Network(int seed, ModelSettings? settings = null)
    {
        torch.manual_seed(seed);
        return new LstmForecaster(settings ?? WorkerHarness.Settings);
    }

    private static string Add(IModelStore store, int seed, bool makeCurrent = true, string source = "test", ModelSettings? settings = null)
    {
        using var network = Network(seed, settings);
        var horizons = network.Settings.Horizons;
        var calibration = new Calibration(Enumerable.Repeat(0.5, horizons).ToArray(), Enumerable.Repeat(1.25, horizons).ToArray());
        return store.Add(network, calibration, new ModelMetadata { Version = "", Source = source }, makeCurrent);
    }

    [Fact]
    public void A_version_read_back_from_the_topic_forecasts_exactly_as_the_same_version_from_a_directory_store()
    {
        var clock = Stopwatch.StartNew();
        var kafkaStore = Store();
        var directoryStore = new ModelStore(Path.Combine(_directory, "store"));
        Assert.Equal("v1", Add(kafkaStore, seed: 11));
        Assert.Equal("v1", Add(directoryStore, seed: 11));
        output.WriteLine($"backend {kafka.Backend}: topic created and v1 added in {clock.ElapsedMilliseconds} ms");

        using var fromKafka = Store().LoadCurrent();
        using var fromDirectory = directoryStore.LoadCurrent();
        Assert.Equal("v1", fromKafka.Id);
        Assert.Equal(fromDirectory.Settings, fromKafka.Settings);
        Assert.Equal(fromDirectory.Calibration.Shrink, fromKafka.Calibration.Shrink);
        Assert.Equal(fromDirectory.Metadata.WeightsSha256, fromKafka.Metadata.WeightsSha256);
        Assert.Equal("test", fromKafka.Metadata.Source);

        var ticks = WorkerHarness.Ticks(["AAA", "BBB"], 200);
        var a = Backtester.Run(ticks, fromKafka, 1, 0.5, new ServingSettings());
        var b = Backtester.Run(ticks, fromDirectory, 1, 0.5, new ServingSettings());
        Assert.True(a.Overall.N > 100);
        Assert.Equal(JsonSerializer.Serialize(b.Overall), JsonSerializer.Serialize(a.Overall));
        Assert.Equal(JsonSerializer.Serialize(b.Symbols), JsonSerializer.Serialize(a.Symbols));
    }

    [Fact]
    public void A_promotion_from_a_replaced_champion_is_refused_and_changes_nothing_while_the_fresh_one_wins()
    {
        var trainer = Store();
        Add(trainer, seed: 1);
        Add(trainer, seed: 2, makeCurrent: false);
        Add(trainer, seed: 3, makeCurrent: false);
        var stale = Store();
        Assert.Equal("v1", stale.CurrentVersion);

        trainer.SetCurrent("v2", "promoted", expectedCurrent: "v1");
        var ex = Assert.Throws<ModelStoreConflictException>(() => stale.SetCurrent("v3", "promoted", expectedCurrent: "v1"));
        Assert.Equal($"Kafka topic '{_topic}': v3 was not made current because the current version is v2, not v1 (switched meanwhile by another writer)", ex.Message);
        Assert.Equal("v2", ex.Current);

        var reader = Store();
        Assert.Equal("v2", reader.CurrentVersion);
        Assert.Equal(["v1", "v2"], reader.History().Select(h => h.Version));
        Assert.Equal(["trained", "promoted"], reader.History().Select(h => h.Reason));
        // Judged against the version that is current now, it goes through.
        stale.SetCurrent("v3", "promoted", expectedCurrent: "v2");
        Assert.Equal("v3", reader.CurrentVersion);
    }

    [Fact]
    public async Task Of_two_workers_promoting_from_the_same_champion_at_once_exactly_one_wins_and_all_agree()
    {
        var setup = Store();
        for (int seed = 1; seed <= 11; seed++) Add(setup, seed, makeCurrent: seed == 1);
        var (a, b) = (Store(), Store());
        var champion = "v1";
        for (int round = 0; round < 5; round++)
        {
            Assert.Equal(champion, a.CurrentVersion);
            Assert.Equal(champion, b.CurrentVersion);
            var (mine, theirs) = ($"v{2 * round + 2}", $"v{2 * round + 3}");
            using var start = new Barrier(2);
            var outcomes = await Task.WhenAll(
                Task.Run(() => Try(a, mine, champion, start)),
                Task.Run(() => Try(b, theirs, champion, start)));
            Assert.Single(outcomes, o => o is null);
            var winner = outcomes[0] is null ? mine : theirs;
            var refused = Assert.Single(outcomes.OfType<ModelStoreConflictException>());
            Assert.Equal(winner, refused.Current);
            Assert.Equal(winner, a.CurrentVersion);
            Assert.Equal(winner, b.CurrentVersion);
            Assert.Equal(winner, Store().CurrentVersion);
            champion = winner;
        }
        Assert.Equal(6, setup.History().Count);

        static Exception? Try(IModelStore store, string id, string expected, Barrier start)
        {
            start.SignalAndWait();
            try
            {
                store.SetCurrent(id, "promoted", expected);
                return null;
            }
            catch (ModelStoreConflictException ex)
            {
                return ex;
            }
        }
    }

    [Fact]
    public async Task Workers_adding_versions_at_the_same_time_get_distinct_ids_each_holding_its_own_model()
    {
        var stores = new[] { Store(), Store(), Store() };
        using var start = new Barrier(stores.Length);
        var added = await Task.WhenAll(stores.Select((store, w) => Task.Run(() =>
        {
            start.SignalAndWait();
            return Enumerable.Range(0, 3).Select(i => (Id: Add(store, seed: 100 + 10 * w + i, makeCurrent: false, source: $"worker {w} #{i}"), Source: $"worker {w} #{i}")).ToList();
        })));

        var ids = added.SelectMany(x => x).ToList();
        Assert.Equal(9, ids.Select(x => x.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 9).Select(n => $"v{n}"), Store().Versions());
        var reader = Store();
        foreach (var (id, source) in ids) Assert.Equal(source, reader.ReadMetadata(id).Source);
        var lost = _logs.Entries.Count(e => e.Message.Contains("was claimed by another writer first", StringComparison.Ordinal));
        output.WriteLine($"{lost} claims lost to another writer and made again");
    }

    [Fact]
    public void A_store_on_a_topic_that_does_not_exist_yet_has_no_versions_and_its_first_write_makes_the_topic()
    {
        _topic = kafka.CreateTopicName("models-new");
        var store = Store();
        Assert.Null(store.CurrentVersion);
        Assert.Empty(store.Versions());
        Assert.Equal("v1", Add(store, seed: 1));
        Assert.Equal("v1", Store().CurrentVersion);
        var tried = Assert.Single(_logs.Entries, e => e.Message.Contains($"model topic {_topic} could", StringComparison.Ordinal) || e.Message.Contains($"Created the model topic {_topic}", StringComparison.Ordinal));
        output.WriteLine($"{kafka.Backend}: {tried.Message}");
    }

    [Fact]
    public void Another_worker_sees_a_promoted_version_at_its_next_look_and_loads_it()
    {
        var trainer = Store();
        var follower = Store();
        Assert.Null(follower.CurrentVersion);
        Add(trainer, seed: 1);
        Assert.Equal("v1", follower.CurrentVersion);
        Add(trainer, seed: 2, makeCurrent: false);
        trainer.SetCurrent("v2", "promoted", expectedCurrent: "v1");

        Assert.Equal("v2", follower.CurrentVersion);
        using var loaded = follower.Load("v2");
        using var expected = Network(2);
        using var input = torch.randn(1, 10, 4);
        using var mine = loaded.Network.forward(input);
        expected.eval();
        using var theirs = expected.forward(input);
        Assert.Equal(theirs.data<float>().ToArray(), mine.data<float>().ToArray());

        Assert.Equal("v1", follower.Rollback());
        Assert.Equal("v1", trainer.CurrentVersion);
        Assert.Equal("rollback", trainer.History()[^1].Reason);
    }

    [Fact]
    public void Pruned_versions_are_gone_for_a_worker_that_reads_the_topic_afterwards()
    {
        var store = Store();
        for (int seed = 1; seed <= 4; seed++) Add(store, seed);
        Assert.Equal(["v1", "v2"], store.Prune(keep: 2));
        var reader = Store();
        Assert.Equal(["v3", "v4"], reader.Versions());
        Assert.Equal("v4", reader.CurrentVersion);
        Assert.Equal("v5", Add(reader, seed: 5));
        Assert.Contains("has no version 'v1'", Assert.Throws<ModelStoreException>(() => reader.Load("v1")).Message);
    }

    [Fact]
    public void A_model_over_the_record_limit_is_split_into_chunks_and_one_bad_or_missing_chunk_is_refused_naming_it()
    {
        // 2 x 160 hidden: about 1.25 MB of weights, over Kafka's default 1 MB a record.
        var large = WorkerHarness.Settings with { HiddenSize = 160, Layers = 2 };
        var store = Store();
        Add(store, seed: 7, settings: large);
        var records = ReadTopic();
        var chunks = records.Where(r => r.Key.StartsWith("weights/", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, chunks.Count);
        Assert.All(chunks, c => Assert.InRange(c.Value!.Length, 1, KafkaModelStore.DefaultChunkBytes));
        Assert.InRange(chunks.Sum(c => c.Value!.Length), 1_000_001, 3 * KafkaModelStore.DefaultChunkBytes);
        using (var loaded = Store().LoadCurrent())
        {
            Assert.Equal(160, loaded.Settings.HiddenSize);
            Assert.Equal(chunks.Sum(c => (long)c.Value!.Length), loaded.Metadata.WeightsBytes);
        }

        // A chunk overwritten (its key's newest record) with other bytes of the same size: the SHA-256 no longer matches.
        var second = chunks[1];
        var altered = second.Value!.ToArray();
        altered[^1] ^= 0xFF;
        Write(second.Key, altered);
        var ex = Assert.Throws<ModelStoreException>(() => Store().Load("v1"));
        Assert.Equal("model version 'v1': weights.bin does not match its SHA-256 in metadata.json (corrupt)", ex.Message);

        Write(second.Key, null);
        ex = Assert.Throws<ModelStoreException>(() => Store().Load("v1"));
        Assert.Equal($"model version 'v1': weights.bin is incomplete on Kafka topic '{_topic}' (chunk 2 of 3 is missing)", ex.Message);
        // Refused when made current too, so a broken version never serves.
        Assert.Throws<ModelStoreException>(() => store.SetCurrent("v1", "promoted"));
    }

    [Fact]
    public void The_models_and_train_verbs_work_on_the_store_on_kafka()
    {
        var store = Store();
        Add(store, seed: 1);
        Add(store, seed: 2);
        string[] settings = [$"--Kafka:BootstrapServers={kafka.BootstrapServers}", $"--Kafka:ModelTopic={_topic}"];

        var list = Run(["models", "list", .. settings]);
        Assert.True(list.Code == 0, list.Error);
        Assert.Contains($"model store Kafka topic '{_topic}'", list.Out);
        Assert.Contains("* v2 ", list.Out);
        Assert.Contains("  v1 ", list.Out);

        var promote = Run(["models", "promote", "v1", .. settings]);
        Assert.True(promote.Code == 0, promote.Error);
        Assert.Contains($"v1 is now current in Kafka topic '{_topic}' (was v2)", promote.Out);
        Assert.Equal("v1", Store().CurrentVersion);

        var rollback = Run(["models", "rollback", .. settings]);
        Assert.True(rollback.Code == 0, rollback.Error);
        Assert.Equal("v2", Store().CurrentVersion);

        var naive = Run(["models", "promote", NaiveModel.Id, .. settings]);
        Assert.True(naive.Code == 0, naive.Error);
        Assert.Equal(NaiveModel.Id, Store().CurrentVersion);
        Assert.True(Run(["models", "rollback", .. settings]).Code == 0);

        var csv = Path.Combine(_directory, "prices.csv");
        Directory.CreateDirectory(_directory);
        File.WriteAllLines(csv, ["timestamp,symbol,price", .. WorkerHarness.Ticks(["AAA", "BBB"], 150)
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Timestamp:O},{t.Symbol},{t.Price}"))]);
        var train = Run(["train", "--data", csv, "--epochs", "1", "--Model:HiddenSize=8", "--Model:Layers=1", "--Model:Horizons=2",
            "--Model:Window=20", "--Model:BurnIn=5", "--Model:Warmup=5", "--Training:BatchSize=32", "--Training:Stride=5", .. settings]);
        Assert.True(train.Code == 0, train.Error);
        Assert.Contains($"v3 is now current in Kafka topic '{_topic}'", train.Out);

        var json = Run(["models", "list", "--json", .. settings]);
        Assert.True(json.Code == 0, json.Error);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal("v3", document.RootElement.GetProperty("current").GetString());
        Assert.Equal($"Kafka topic '{_topic}'", document.RootElement.GetProperty("store").GetString());
        Assert.Equal(["v1", "v2", "v3"], document.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetString()));
        Assert.Equal(["trained", "trained", "promoted", "rollback", "rollback", "trained"],
            document.RootElement.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("reason").GetString()));

        var missing = Run(["models", "promote", "v9", .. settings]);
        Assert.Equal(2, missing.Code);
        Assert.Equal($"error: Kafka topic '{_topic}' has no version 'v9'", missing.Error.Trim());
        var noBrokers = Run(["models", "list", $"--Kafka:ModelTopic={_topic}"]);
        Assert.Equal(2, noBrokers.Code);
        Assert.Contains("Kafka:BootstrapServers is not set", noBrokers.Error);
    }

    private static (int Code, string Out, string Error) Run(string[] args) => VerbRunner.Run(args);

    /// <summary>Every record of the store's partition, as they are (the newest per key for chunks written twice).</summary>
    private List<(string Key, byte[]? Value)> ReadTopic()
    {
        var config = kafka.ConsumerConfig("raw-" + _topic);
        config.EnablePartitionEof = true;
        using var consumer = new ConsumerBuilder<string, byte[]?>(config).Build();
        consumer.Assign(new TopicPartitionOffset(_topic, KafkaModelStore.Partition, Offset.Beginning));
        var records = new List<(string, byte[]?)>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(1));
            if (result is null) continue;
            if (result.IsPartitionEOF) break;
            records.Add((result.Message.Key, result.Message.Value));
        }
        consumer.Close();
        return records;
    }

    private void Write(string key, byte[]? value)
    {
        using var producer = new ProducerBuilder<string, byte[]?>(kafka.ProducerConfig()).Build();
        producer.ProduceAsync(new TopicPartition(_topic, KafkaModelStore.Partition), new Message<string, byte[]?> { Key = key, Value = value }).GetAwaiter().GetResult();
    }

    public async Task InitializeAsync() => _topic = await kafka.CreateTopicAsync("models");

    public Task DisposeAsync()
    {
        foreach (var store in _stores) store.Dispose();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        foreach (var (level, message) in _logs.Entries.Where(e => e.Level >= LogLevel.Information)) output.WriteLine($"{level}: {message}");
        return Task.CompletedTask;
    }
}
