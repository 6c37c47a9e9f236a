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
    public async Task Every_worker_of_a_group_swaps_in_the_version_promoted_on_the_model_topic()
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
        var (a, runningA) = harness.Start(stop.Token, countersA, follow: storeA);
        var (b, runningB) = harness.Start(stop.Token, countersB, follow: storeB);
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
        stop.Cancel();
        await Task.WhenAll(runningA, runningB);
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
