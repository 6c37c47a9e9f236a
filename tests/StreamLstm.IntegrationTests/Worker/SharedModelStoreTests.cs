using Microsoft.Extensions.Logging.Abstractions;
using StreamLstm.Ingest;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Model;
using StreamLstm.Telemetry;
using TorchSharp;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>Workers of one group serving from one model store on Kafka.</summary>
[Collection(PipelineCollection.Name)]
public sealed class SharedModelStoreTests(KafkaFixture kafka, InfluxFixture influx)
{
    [Fact]
    public async Task Every_worker_of_a_group_swaps_in_the_version_promoted_on_the_model_topic_and_one_writes_its_model_event()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var options = new KafkaOptions { BootstrapServers = kafka.BootstrapServers, ModelTopic = await kafka.CreateTopicAsync("models") };
        using var trainer = new KafkaModelStore(options, NullLogger.Instance);
        // v1 on the topic is the harness's v1 (the same seed): what the workers start serving.
        Assert.Equal("v1", Add(trainer, seed: 5));
        using var storeA = new KafkaModelStore(options, NullLogger.Instance);
        using var storeB = new KafkaModelStore(options, NullLogger.Instance);

        using var stop = new CancellationTokenSource();
        var (countersA, countersB) = (new PipelineCounters(), new PipelineCounters());
        var (a, runningA) = harness.Start(stop.Token, countersA, follow: storeA, sharedStore: true);
        var (b, runningB) = harness.Start(stop.Token, countersB, follow: storeB, sharedStore: true);
        var ticks = WorkerHarness.Ticks(["S1", "S2", "S3", "S4"], 20);
        await WorkerHarness.PublishAsync(kafka, topic, ticks);
        await Poll.UntilAsync(_ => Task.FromResult(countersA.Ticks + countersB.Ticks >= ticks.Count), TimeSpan.FromSeconds(60),
            "every tick consumed by the group", () => $"{countersA.Ticks} + {countersB.Ticks} ticks");
        Assert.Equal("v1", a.ServingModel);
        Assert.Equal("v1", b.ServingModel);

        var promoted = Add(trainer, seed: 77, makeCurrent: false);
        trainer.SetCurrent(promoted, "promoted", expectedCurrent: "v1");
        await Poll.UntilAsync(_ => Task.FromResult(a.ServingModel == promoted && b.ServingModel == promoted), TimeSpan.FromSeconds(30),
            $"both workers serving {promoted}", () => $"serving {a.ServingModel} and {b.ServingModel}");
        var ownerOf0 = a.Assignment.Contains(0) ? countersA : countersB;
        stop.Cancel();
        await Task.WhenAll(runningA, runningB);
        // Both took the switch over; the owner of partition 0 wrote it, once for the group.
        Assert.Equal((1L, 1L), (countersA.ModelEvents + countersB.ModelEvents, ownerOf0.ModelEvents));
        var written = Assert.Single(await influx.QueryAsync(bucket, "SELECT * FROM \"model_event\""));
        Assert.Equal(("promoted", promoted, ModelSwitchSource.Operator), ((string?)written["action"], (string?)written["model"], (string?)written["source"]));
    }

    [Fact]
    public async Task With_a_model_store_on_kafka_only_the_owner_of_partition_0_retrains_and_every_worker_serves_its_version()
    {
        var topic = kafka.CreateTopicName("trainer");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        harness.Kafka.ModelTopic = await kafka.CreateTopicAsync("models");
        // Cold start on an empty store; a first model is due once a worker's history holds 300 ticks.
        var learning = new StreamLstm.Learning.LearningSettings { Interval = TimeSpan.FromHours(1), CheckInterval = TimeSpan.FromMilliseconds(100), MinTicks = 300 };
        var symbols = Enumerable.Range(0, 12).Select(i => $"T{i}").ToArray();
        var start = new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var ticks = WorkerHarness.Predictable(symbols, 400, seed: 9, start);
        var later = WorkerHarness.Predictable(symbols, 30, seed: 10, start.AddMinutes(400), continuing: ticks);

        using var stop = new CancellationTokenSource();
        var (countersA, countersB) = (new PipelineCounters(), new PipelineCounters());
        var (a, runningA) = harness.StartService(stop.Token, learning, countersA, historyDirectory: Path.Combine(harness.HistoryDirectory, "a"));
        var (b, runningB) = harness.StartService(stop.Token, learning, countersB, historyDirectory: Path.Combine(harness.HistoryDirectory, "b"));
        using (a)
        using (b)
        {
            await WorkerHarness.PublishAsync(kafka, topic, ticks.Take(1));
            await Poll.UntilAsync(_ => Task.FromResult(a.Pipeline.Assignment.Count > 0 && b.Pipeline.Assignment.Count > 0
                    && a.Pipeline.Assignment.Count + b.Pipeline.Assignment.Count == KafkaFixture.Partitions), TimeSpan.FromSeconds(60),
                "the partitions split between the two workers", () => $"[{string.Join(",", a.Pipeline.Assignment)}] and [{string.Join(",", b.Pipeline.Assignment)}]");
            await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(1));
            await Poll.UntilAsync(_ => Task.FromResult(a.Pipeline.ServingModel == "v1" && b.Pipeline.ServingModel == "v1"), TimeSpan.FromSeconds(90),
                "both workers serving the first model", () => $"serving {a.Pipeline.ServingModel} and {b.Pipeline.ServingModel}; " +
                    $"retrains {a.Retraining!.Outcomes.Count} and {b.Retraining!.Outcomes.Count}; history {a.History.Ticks} and {b.History.Ticks}");
            await Poll.UntilAsync(_ => Task.FromResult(countersA.Ticks + countersB.Ticks >= ticks.Count), TimeSpan.FromSeconds(60),
                "every tick consumed", () => $"{countersA.Ticks} + {countersB.Ticks} ticks");
            var (trainer, follower) = a.Pipeline.Assignment.Contains(0) ? (a, b) : (b, a);
            Assert.True(follower.History.Ticks >= learning.MinTicks, $"the follower's history ({follower.History.Ticks} ticks) was enough to train on too");
            var followerSymbols = symbols.Where(s => follower.History.Count(s) > 0).ToList();
            var trainerSymbols = symbols.Where(s => trainer.History.Count(s) > 0).ToList();

            // Ticks after the promotion: both workers forecast them with the one version.
            await WorkerHarness.PublishAsync(kafka, topic, later);
            await Poll.UntilAsync(_ => Task.FromResult(countersA.Ticks + countersB.Ticks >= ticks.Count + later.Count
                    && countersA.PointsWritten >= countersA.Points && countersB.PointsWritten >= countersB.Points), TimeSpan.FromSeconds(60),
                "the later ticks forecast and written", () => $"{countersA.Ticks} + {countersB.Ticks} ticks");
            stop.Cancel();
            await Task.WhenAll(runningA, runningB);

            // The trainer may have tried more than once (a first model must beat naive on held-out history); one promotion.
            Assert.Equal(["v1"], trainer.Retraining!.Outcomes.Where(o => o.Version is not null).Select(o => o.Version));
            Assert.Empty(follower.Retraining!.Outcomes);

            var rows = await influx.QueryAsync(bucket,
                $"SELECT count(\"value\") FROM \"forecast\" WHERE time >= '{start.AddMinutes(400):O}' GROUP BY \"model\", \"symbol\"");
            Assert.Subset(new HashSet<string> { "v1", NaiveModel.Id }, rows.Select(r => r.Tags["model"]).ToHashSet());
            var servedByV1 = rows.Where(r => r.Tags["model"] == "v1").Select(r => r.Tags["symbol"]).ToHashSet();
            Assert.Contains(servedByV1, followerSymbols.Contains);
            Assert.Contains(servedByV1, trainerSymbols.Contains);
        }
    }

    [Fact]
    public async Task The_run_verb_with_Kafka_ModelTopic_serves_the_topic_s_current_version_and_follows_a_promotion()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("this test stops the worker with SIGTERM (kill(1)); it runs on Linux");
        var topic = kafka.CreateTopicName("run-models");
        var options = new KafkaOptions { BootstrapServers = kafka.BootstrapServers, ModelTopic = await kafka.CreateTopicAsync("models") };
        using var trainer = new KafkaModelStore(options, NullLogger.Instance);
        Add(trainer, seed: 5);
        var work = Path.Combine(Path.GetTempPath(), "streamlstm-run-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        using var worker = new WorkerProcess(
        [
            "run", $"--Kafka:BootstrapServers={kafka.BootstrapServers}", $"--Kafka:Topic={topic}", $"--Kafka:DeadLetterTopic={topic}.dlq",
            $"--Kafka:GroupId=run-{topic}", $"--Kafka:ModelTopic={options.ModelTopic}", "--Model:FollowInterval=00:00:00.200",
            $"--Model:Directory={Path.Combine(work, "no-such-store")}", "--Learning:Enabled=false", "--Http:Url=",
        ], work);
        try
        {
            await Poll.UntilAsync(_ => Task.FromResult(worker.Output.Contains("with model v1", StringComparison.Ordinal)), TimeSpan.FromSeconds(60),
                "the worker serving v1 from the topic", () => worker.HasExited ? $"worker exited {worker.ExitCode}: {worker.Output}" : worker.Output);
            var promoted = Add(trainer, seed: 77, makeCurrent: false);
            trainer.SetCurrent(promoted, "promoted", expectedCurrent: "v1");
            await Poll.UntilAsync(_ => Task.FromResult(worker.Output.Contains($"Model {promoted} now serves (was v1)", StringComparison.Ordinal)), TimeSpan.FromSeconds(60),
                $"the worker swapping in {promoted}", () => worker.HasExited ? $"worker exited {worker.ExitCode}: {worker.Output}" : worker.Output);
        }
        finally
        {
            worker.Terminate();
        }
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(Directory.Exists(Path.Combine(work, "no-such-store")));
        Directory.Delete(work, recursive: true);
    }

    private static string Add(IModelStore store, int seed, bool makeCurrent = true)
    {
        torch.manual_seed(seed);
        using var network = new LstmForecaster(WorkerHarness.Settings);
        return store.Add(network, Calibration.Identity(WorkerHarness.Settings.Horizons), new ModelMetadata { Version = "" }, makeCurrent);
    }
}
