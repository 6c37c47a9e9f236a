using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Worker.Verbs;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// The product as an operator runs it: <c>streamlstm run</c> in its own process against the broker and the InfluxDB
/// server, a CSV published with <c>streamlstm replay</c>, then SIGTERM.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class HostedWorkerProcessTests(KafkaFixture kafka, InfluxFixture influx)
{
    [Fact]
    public async Task The_run_verb_turns_a_replayed_csv_into_prices_and_forecasts_and_bad_messages_into_dead_letters_then_stops_cleanly_on_sigterm()
    {
        // SIGTERM via kill(1): said, not skipped in silence (the same path is covered in-process elsewhere).
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("this test stops the worker with SIGTERM (kill(1)); it runs on Linux");
        var topic = kafka.CreateTopicName("run");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var work = Path.Combine(Path.GetTempPath(), "streamlstm-run-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var csv = Path.Combine(work, "prices.csv");
        var ticks = WorkerHarness.Ticks(["EURUSD", "BRK.B", "日経225"], 40);
        File.WriteAllLines(csv, ["timestamp,symbol,price", .. ticks.Select(t => FormattableString.Invariant($"{t.Timestamp:O},{t.Symbol},{t.Price}"))]);

        using var worker = new WorkerProcess(
        [
            "run", $"--Kafka:BootstrapServers={kafka.BootstrapServers}", $"--Kafka:Topic={topic}", $"--Kafka:DeadLetterTopic={topic}.dlq",
            $"--Kafka:GroupId=run-{topic}", "--Kafka:Consumer:session.timeout.ms=6000", "--Kafka:Consumer:heartbeat.interval.ms=1000",
            $"--Influx:Url={influx.Url}", $"--Influx:Token={influx.Token}", $"--Influx:Org={influx.Org}", $"--Influx:Bucket={bucket}",
            $"--Model:Directory={harness.StoreDirectory}", $"--Http:Url=http://127.0.0.1:{FreePort.Pick()}",
            // Baked into the store's model (trained with 2): warned about, and the model's value served.
            "--Model:Horizons=5",
        ], work);
        try
        {
            await kafka.ProduceAsync(topic, "EURUSD", "{\"symbol\":\"EURUSD\",\"price\":1}");
            Assert.Equal(0, CommandLine.Run(["replay", "--data", csv, "--bootstrap", kafka.BootstrapServers, "--topic", topic]));
            int expected = ticks.Count + 3 * (40 - WorkerHarness.Settings.Warmup) * WorkerHarness.Settings.Horizons;
            await Poll.UntilAsync(async ct =>
                    (await influx.QueryAsync(bucket, "SELECT count(\"value\") FROM \"price\",\"forecast\"", ct)).Sum(r => Convert.ToInt64(r["count"])) >= expected,
                TimeSpan.FromSeconds(90), "prices and forecasts in InfluxDB", () => worker.HasExited ? $"worker exited {worker.ExitCode}" : "worker running");
        }
        finally
        {
            worker.Terminate();
        }
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var log = worker.Output;
        Assert.Contains("Stopped after", log);
        Assert.Contains("Model:Horizons is 5 in the configuration but model v1 was trained with 2; serving with 2", log);
        Assert.DoesNotContain(influx.Token, log);

        var rows = await influx.QueryAsync(bucket, "SELECT count(\"value\") FROM \"price\" GROUP BY \"symbol\"");
        Assert.Equal(["BRK.B", "EURUSD", "日経225"], rows.Select(r => r.Tags["symbol"]).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(40L, Convert.ToInt64(r["count"])));
        var letters = kafka.ConsumeAll(topic + ".dlq", "dlq-" + topic, 1, TimeSpan.FromSeconds(30));
        Assert.Single(letters);
        Assert.Equal("'ts' is missing", letters[0].Headers["error"]);
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task The_run_verb_refuses_a_misspelt_setting_in_one_line_naming_the_nearest_key_before_connecting()
    {
        // The broker address is never reached: the settings are checked first.
        using var worker = new WorkerProcess(["run", $"--Kafka:BootstrapServers={kafka.BootstrapServers}", "--Ticks:MaxClockSkw=00:01:00"],
            environment: new Dictionary<string, string> { ["Model__HiddenSize"] = "16" });
        await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, worker.ExitCode);
        Assert.Equal("error: unknown setting Ticks:MaxClockSkw (did you mean Ticks:MaxClockSkew?)", worker.Output.TrimEnd());
    }
}
