using System.Globalization;
using System.Text.Json;
using StreamLstm.IntegrationTests.Fixtures;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary><c>Kafka:ForecastTopic</c>: every served forecast on Kafka, besides InfluxDB or instead of it.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ForecastTopicTests(KafkaFixture kafka, InfluxFixture influx)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Every_forecast_in_influxdb_is_also_a_message_on_the_forecast_topic_with_the_same_time_tags_and_values()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("this test stops the worker with SIGTERM (kill(1)); it runs on Linux");
        var topic = kafka.CreateTopicName("forecast-topic");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var work = harness.WorkDirectory("forecast-topic");
        // Same-time repeats included: symbol, ts_ns and horizon still tell every forecast apart.
        var ticks = WorkerHarness.Ticks(["F1", "F2", "F3"], 30);
        ticks.AddRange(ticks.TakeLast(3).Select(t => t with { Price = t.Price * 1.001 }));
        int expected = ticks.GroupBy(t => t.Symbol).Sum(g => g.Count() - WorkerHarness.Settings.Warmup) * WorkerHarness.Settings.Horizons;
        await WorkerHarness.PublishAsync(kafka, topic, ticks);
        using (var worker = new WorkerProcess(harness.RunArguments($"http://127.0.0.1:{FreePort.Pick()}", work).Append($"--Kafka:ForecastTopic={topic}.forecasts"), work))
        {
            await Poll.UntilAsync(async _ => await influx.CountAsync(bucket, "forecast") >= expected, Patience, "every forecast in InfluxDB", () => worker.Output);
            worker.Terminate();
            Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains($"and forecasts to Kafka topic {topic}.forecasts", worker.Output, StringComparison.Ordinal);
        }

        var messages = kafka.ConsumeAll(topic + ".forecasts", "read-" + topic, expected, Patience);
        Assert.Equal(expected, messages.Count);
        var published = messages.Select(m =>
        {
            using var json = JsonDocument.Parse(m.Value!);
            var root = json.RootElement;
            Assert.Equal(root.GetProperty("symbol").GetString(), m.Key);
            var ts = DateTime.Parse(root.GetProperty("ts").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            long tsNs = root.GetProperty("ts_ns").GetInt64();
            // ts is the tick's time; ts_ns the point's, a repeat's few nanoseconds after it.
            Assert.InRange(tsNs - (ts - DateTime.UnixEpoch).Ticks * 100, 0, 10);
            return string.Join("|", root.GetProperty("symbol").GetString(), tsNs, root.GetProperty("horizon").GetInt32(), root.GetProperty("model").GetString(),
                Format(root.GetProperty("value").GetDouble()), Format(root.GetProperty("lower").GetDouble()), Format(root.GetProperty("upper").GetDouble()));
        }).ToList();
        Assert.Equal(expected, published.Distinct().Count());
        var written = (await influx.QueryAsync(bucket, "SELECT * FROM \"forecast\""))
            .Select(r => string.Join("|", r.GetString("symbol"), r.Time, r.GetString("horizon"), r.GetString("model"),
                Format(r.GetDouble("value")!.Value), Format(r.GetDouble("lower")!.Value), Format(r.GetDouble("upper")!.Value)))
            .ToList();
        Assert.Equal(written.Order(StringComparer.Ordinal), published.Order(StringComparer.Ordinal));
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
