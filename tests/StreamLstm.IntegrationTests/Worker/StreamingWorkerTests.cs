using System.Net;
using System.Text;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Pipeline;
using StreamLstm.Ticks;
using StreamLstm.Telemetry;

namespace StreamLstm.IntegrationTests.Worker;

[Collection(PipelineCollection.Name)]
public sealed class StreamingWorkerTests(KafkaFixture kafka, InfluxFixture influx)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private Task<long> CountAsync(string bucket, string measurement, string? where = null) => influx.CountAsync(bucket, measurement, where);

    private static Task WaitAsync(Func<bool> condition, string what, Func<string> diagnostics) =>
        Poll.UntilAsync(_ => Task.FromResult(condition()), Patience, what, diagnostics);

    [Fact]
    public async Task Ticks_in_give_every_price_and_every_warm_forecast_in_influxdb()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var symbols = new[] { "EURUSD", "USDJPY", "BRK.B", "ES=F", "^GSPC" };
        var ticks = WorkerHarness.Ticks(symbols, 60);
        await WorkerHarness.PublishAsync(kafka, topic, ticks);

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var (_, running) = harness.Start(stop.Token, counters);
        int forecastPoints = symbols.Length * (60 - WorkerHarness.Settings.Warmup) * WorkerHarness.Settings.Horizons;
        int errorPoints = symbols.Length * (2 * (60 - WorkerHarness.Settings.Warmup) - 3);
        await WaitAsync(() => counters.PointsWritten >= ticks.Count + forecastPoints + errorPoints, "all points written",
            () => $"ticks {counters.Ticks}, points written {counters.PointsWritten}");
        stop.Cancel();
        await running;

        Assert.Equal(ticks.Count, counters.Ticks);
        Assert.Equal(ticks.Count, await CountAsync(bucket, "price"));
        Assert.Equal(forecastPoints, await CountAsync(bucket, "forecast"));
        foreach (var symbol in symbols)
            Assert.Equal(60, await CountAsync(bucket, "price", $"\"symbol\" = '{symbol.Replace("'", "\\'")}'"));
        Assert.Equal(forecastPoints / 2, await CountAsync(bucket, "forecast", "\"horizon\" = '2'"));
        // Every forecast whose actual arrived is scored: for horizon h, the forecasts made at ticks Warmup..59-h.
        int warmup = WorkerHarness.Settings.Warmup;
        var errors = await influx.QueryAsync(bucket, "SELECT count(\"abs_error\") FROM \"forecast_error\" GROUP BY \"horizon\"");
        Assert.Equal(symbols.Length * (60 - warmup - 1), Convert.ToInt64(errors.Single(r => r.Tags["horizon"] == "1")["count"]));
        Assert.Equal(symbols.Length * (60 - warmup - 2), Convert.ToInt64(errors.Single(r => r.Tags["horizon"] == "2")["count"]));
    }

    [Fact]
    public async Task Malformed_messages_go_to_the_dead_letter_topic_with_reasons_and_later_ticks_still_get_forecasts()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var ticks = WorkerHarness.Ticks(["AAA"], 20);
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Take(10));
        var bad = new (string Value, string Reason)[]
        {
            ("not json at all", "value is not valid JSON"),
            ("""{"ts":"2024-01-01T00:30:00Z","price":1}""", "'symbol' is missing"),
            ("""{"symbol":"AAA","ts":"2024-01-01T00:30:00Z","price":"NaN"}""", "'price' is a string, not a number"),
            ("""{"symbol":"AAA","ts":"2024-01-01T00:30:00Z","price":-3}""", "'price' -3 is not a positive finite number"),
            ("""{"symbol":"AA\nA","ts":"2024-01-01T00:30:00Z","price":1}""", "symbol contains control character U+000A"),
            ("""{"symbol":"AA\tA","ts":"2024-01-01T00:30:00Z","price":1}""", "symbol contains control character U+0009"),
            ("""{"symbol":"AAA\\","ts":"2024-01-01T00:30:00Z","price":1}""", "symbol ends with a backslash"),
            ("{\"symbol\":\"AAA\",\"ts\":\"2024-01-01T00:30:00Z\",\"price\":1,\"pad\":\"" + new string('x', 70_000) + "\"}", "over the 65536 byte limit"),
        };
        foreach (var (value, _) in bad)
            await kafka.ProduceAsync(topic, "AAA", value, [new("origin", "test")]);
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(10));

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var (_, running) = harness.Start(stop.Token, counters);
        int forecasts = (20 - WorkerHarness.Settings.Warmup) * WorkerHarness.Settings.Horizons;
        await WaitAsync(() => counters.PointsWritten >= 20 + forecasts && counters.DeadLettered >= bad.Length, "ticks and dead letters done",
            () => $"ticks {counters.Ticks}, dead letters {counters.DeadLettered}, points {counters.PointsWritten}");
        stop.Cancel();
        await running;

        var letters = kafka.ConsumeAll(harness.Kafka.DeadLetterTopic, "dlq-reader-" + topic, bad.Length, Patience);
        Assert.Equal(bad.Length, letters.Count);
        foreach (var (letter, (value, reason)) in letters.OrderBy(l => long.Parse(l.Headers["source-offset"])).Zip(bad))
        {
            Assert.Equal(value, letter.Value);
            Assert.Equal("AAA", letter.Key);
            Assert.Contains(reason, letter.Headers["error"]);
            Assert.Equal(topic, letter.Headers["source-topic"]);
            Assert.Equal("test", letter.Headers["origin"]);
            Assert.True(int.Parse(letter.Headers["source-partition"]) >= 0);
        }
        Assert.Equal(20, await CountAsync(bucket, "price"));
        Assert.Equal(forecasts, await CountAsync(bucket, "forecast"));
    }

    [Fact]
    public async Task Symbols_full_of_punctuation_spaces_and_non_ascii_letters_reach_influxdb_unchanged()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var symbols = new[] { "A B", "a,b=c", "EUR/USD", "^GSPC", "日経225", "x=y z,w" };
        var ticks = WorkerHarness.Ticks(symbols, 8);
        await WorkerHarness.PublishAsync(kafka, topic, ticks);

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var (_, running) = harness.Start(stop.Token, counters);
        int expected = ticks.Count + symbols.Length * (8 - WorkerHarness.Settings.Warmup) * WorkerHarness.Settings.Horizons;
        await WaitAsync(() => counters.PointsWritten >= expected, "all points written", () => $"points {counters.PointsWritten}");
        stop.Cancel();
        await running;

        var rows = await influx.QueryAsync(bucket, "SELECT count(\"value\") FROM \"price\" GROUP BY \"symbol\"");
        Assert.Equal(symbols.Order(StringComparer.Ordinal), rows.Select(r => r.Tags["symbol"]).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(8L, Convert.ToInt64(r["count"])));
    }

    [Fact]
    public async Task An_influxdb_outage_longer_than_the_circuit_break_loses_no_point()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var symbols = new[] { "S1", "S2", "S3" };
        var ticks = WorkerHarness.Ticks(symbols, 40);
        int expected = ticks.Count + symbols.Length * (40 - WorkerHarness.Settings.Warmup) * WorkerHarness.Settings.Horizons;

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        using (influx.FailWrites(HttpStatusCode.ServiceUnavailable, "down for maintenance"))
        {
            var (_, running) = harness.Start(stop.Token, counters);
            await WorkerHarness.PublishAsync(kafka, topic, ticks);
            // Several failed attempts: the circuit opened (break 1 s) and writes kept waiting.
            await WaitAsync(() => counters.WriteFailures >= 4, "writes failing", () => $"failures {counters.WriteFailures}");
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // the outage lasts longer than the break
            Assert.Equal(0, counters.PointsWritten);
            influx.ClearFailures();
            await WaitAsync(() => counters.PointsWritten >= expected, "all points written after the outage",
                () => $"points {counters.PointsWritten} of {expected}, failures {counters.WriteFailures}");
            stop.Cancel();
            await running;
        }
        Assert.Equal(ticks.Count, await CountAsync(bucket, "price"));
        Assert.Equal(expected - ticks.Count, await CountAsync(bucket, "forecast"));
    }

    [Fact]
    public async Task Points_influxdb_refuses_for_good_go_to_the_rejected_file_and_the_stream_goes_on()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        // ZZZ ticks two months after OK1's, in another shard, where an integer 'value' already stands: every float price
        // of ZZZ is then a field type conflict, refused for good, while OK1's prices are fine.
        var zzz = WorkerHarness.Ticks(["ZZZ"], 30).Select(t => t with { Timestamp = t.Timestamp.AddDays(60) }).ToList();
        long between = StreamLstm.Sink.LineProtocol.Nanoseconds(zzz[0].Timestamp.AddSeconds(30));
        using (var client = influx.CreateClient())
            await client.GetWriteApiAsync().WriteRecordAsync($"price,symbol=ZZZ value=1i {between}", InfluxDB.Client.Api.Domain.WritePrecision.Ns, bucket, influx.Org);
        var ticks = WorkerHarness.Ticks(["OK1"], 30).Concat(zzz).ToList();
        await WorkerHarness.PublishAsync(kafka, topic, ticks);

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var (_, running) = harness.Start(stop.Token, counters);
        int forecasts = 2 * (30 - WorkerHarness.Settings.Warmup) * WorkerHarness.Settings.Horizons;
        await WaitAsync(() => counters.PointsRejected >= 30 && counters.PointsWritten >= 30 + forecasts, "ZZZ's prices rejected, the rest written",
            () => $"rejected {counters.PointsRejected}, written {counters.PointsWritten}");
        stop.Cancel();
        await running;

        Assert.Equal(30, counters.PointsRejected);
        var rejected = File.ReadAllLines(harness.Influx.RejectedPointsFile);
        Assert.Equal(30, rejected.Count(l => l.StartsWith("price,symbol=ZZZ ")));
        Assert.All(rejected.Where(l => l.StartsWith('#')), l => Assert.Matches("HTTP 4[0-9][0-9]", l));
        Assert.Equal(30, await CountAsync(bucket, "price", "\"symbol\" = 'OK1'"));
        Assert.Equal(forecasts, await CountAsync(bucket, "forecast"));
    }

    [Fact]
    public async Task A_running_worker_follows_a_switch_of_the_current_version_without_a_pause_in_the_stream()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var ticks = WorkerHarness.Ticks(["F1", "F2"], 40);
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Take(40));

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var (worker, running) = harness.Start(stop.Token, counters, followStore: true);
        await WaitAsync(() => counters.Ticks >= 40, "first half processed", () => $"ticks {counters.Ticks}");
        Assert.Equal("v1", worker.ServingModel);

        var promoted = harness.AddVersion(seed: 77);
        await WaitAsync(() => worker.ServingModel == promoted, "the promoted version serving", () => $"serving {worker.ServingModel}");
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(40));
        await WaitAsync(() => counters.Ticks >= ticks.Count, "second half processed", () => $"ticks {counters.Ticks}");
        stop.Cancel();
        await running;

        // Forecasts of the first half come from v1, those of the second half from the promoted version (or naive while
        // the skill gate says so), and no symbol restarted its warm-up: every warm tick has its forecasts.
        async Task<Dictionary<string, long>> ByModel(string where) =>
            (await influx.QueryAsync(bucket, $"SELECT count(\"value\") FROM \"forecast\" WHERE {where} GROUP BY \"model\""))
                .ToDictionary(r => r.Tags["model"], r => Convert.ToInt64(r["count"]));
        var secondHalf = await ByModel("time >= '2024-01-01T00:20:00Z'");
        var firstHalf = await ByModel("time < '2024-01-01T00:20:00Z'");
        Assert.Subset(new HashSet<string> { promoted, "naive" }, secondHalf.Keys.ToHashSet());
        Assert.Subset(new HashSet<string> { "v1", "naive" }, firstHalf.Keys.ToHashSet());
        Assert.Equal(2 * 20 * WorkerHarness.Settings.Horizons, secondHalf.Values.Sum());
        Assert.Equal(2 * (20 - WorkerHarness.Settings.Warmup) * WorkerHarness.Settings.Horizons, firstHalf.Values.Sum());
    }

    [Fact]
    public async Task An_unreachable_kafka_at_start_is_retried_not_fatal_and_the_worker_still_stops_cleanly()
    {
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, kafka.CreateTopicName("ticks"), bucket);
        harness.Kafka.BootstrapServers = $"127.0.0.1:{FreePort.Pick()}";
        using var stop = new CancellationTokenSource();
        var (_, running) = harness.Start(stop.Token);
        // Nothing to await but time: the worker keeps retrying the broker instead of failing.
        var first = await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.NotSame(running, first);
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_worker_stopped_mid_stream_and_restarted_resumes_from_its_committed_offsets()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var symbols = Enumerable.Range(0, 8).Select(i => $"R{i}").ToArray();
        var ticks = WorkerHarness.Ticks(symbols, 50);
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Take(200));

        using (var stop = new CancellationTokenSource())
        {
            var counters = new PipelineCounters();
            var (_, running) = harness.Start(stop.Token, counters);
            await WaitAsync(() => counters.Ticks >= 200, "first half consumed", () => $"ticks {counters.Ticks}");
            stop.Cancel();
            await running;
        }
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(200));
        using (var stop = new CancellationTokenSource())
        {
            var counters = new PipelineCounters();
            var (_, running) = harness.Start(stop.Token, counters);
            await WaitAsync(() => counters.Ticks >= ticks.Count - 200, "second half consumed", () => $"ticks {counters.Ticks}");
            stop.Cancel();
            await running;
            // Resumed from the committed offsets: the second run consumed only what the first had not finished.
            Assert.Equal(ticks.Count - 200, counters.Ticks);
        }
        Assert.Equal(ticks.Count, await CountAsync(bucket, "price"));
    }

    [Fact]
    public async Task Two_workers_in_one_group_split_the_partitions_and_together_process_every_tick()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var symbols = Enumerable.Range(0, 24).Select(i => $"W{i}").ToArray();
        var ticks = WorkerHarness.Ticks(symbols, 30);

        using var stop = new CancellationTokenSource();
        var first = new PipelineCounters();
        var second = new PipelineCounters();
        var (workerA, runningFirst) = harness.Start(stop.Token, first);
        var (workerB, runningSecond) = harness.Start(stop.Token, second);
        // The topic must exist for the group to assign its partitions; both workers wait for it.
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Take(1));
        await WaitAsync(() => workerA.Assignment.Count > 0 && workerB.Assignment.Count > 0 && workerA.Assignment.Count + workerB.Assignment.Count == KafkaFixture.Partitions,
            "the partitions split between the two workers", () => $"first [{string.Join(",", workerA.Assignment)}], second [{string.Join(",", workerB.Assignment)}]");
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(1));
        await WaitAsync(() => first.Ticks + second.Ticks >= ticks.Count, "every tick processed",
            () => $"first {first.Ticks}, second {second.Ticks} of {ticks.Count}");
        int expected = ticks.Count + symbols.Length * (30 - WorkerHarness.Settings.Warmup) * WorkerHarness.Settings.Horizons;
        await WaitAsync(() => first.PointsWritten + second.PointsWritten >= expected, "every point written",
            () => $"points {first.PointsWritten + second.PointsWritten} of {expected}");
        stop.Cancel();
        await Task.WhenAll(runningFirst, runningSecond);

        Assert.Equal(ticks.Count, first.Ticks + second.Ticks);
        Assert.True(first.Ticks > 0 && second.Ticks > 0, $"first {first.Ticks}, second {second.Ticks}: both should own partitions");
        Assert.Equal(ticks.Count, await CountAsync(bucket, "price"));
    }

    [Fact]
    public async Task A_worker_joining_the_group_takes_partitions_from_a_running_one_whose_kept_partitions_keep_forecasting_without_a_warm_up_gap()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var symbols = Enumerable.Range(0, 24).Select(i => $"K{i}").ToArray();
        var ticks = WorkerHarness.Ticks(symbols, 40);
        var before = ticks.Take(ticks.Count / 2).ToList();
        var after = ticks.Skip(before.Count).ToList();

        using var stop = new CancellationTokenSource();
        var first = new PipelineCounters();
        var (workerA, runningFirst) = harness.Start(stop.Token, first);
        await WorkerHarness.PublishAsync(kafka, topic, before);
        await WaitAsync(() => first.Ticks >= before.Count, "the first half through the first worker", () => $"ticks {first.Ticks}");
        Assert.Equal(KafkaFixture.Partitions, workerA.Assignment.Count);

        var second = new PipelineCounters();
        var (workerB, runningSecond) = harness.Start(stop.Token, second);
        await WaitAsync(() => workerB.Assignment.Count > 0 && workerA.Assignment.Count + workerB.Assignment.Count == KafkaFixture.Partitions,
            "the partitions split between the two workers", () => $"first [{string.Join(",", workerA.Assignment)}], second [{string.Join(",", workerB.Assignment)}]");
        // Incremental rebalancing: the first worker gave up only what moved, never all its partitions at once.
        Assert.Equal(0, first.Rebalances.GetValueOrDefault("lost"));
        long ticksAtJoin = first.Ticks, forecastsAtJoin = first.Forecasts;

        await WorkerHarness.PublishAsync(kafka, topic, after);
        // Not the workers' tick counts: ticks the first worker took after the last commit of a partition that moved are
        // consumed again by the second, so the counts can add up to every tick while some are still to be processed.
        await Poll.UntilAsync(async _ => await CountAsync(bucket, "price") >= ticks.Count, Patience, "every tick's price in InfluxDB",
            () => $"first {first.Ticks}, second {second.Ticks} of {ticks.Count}");
        stop.Cancel();
        await Task.WhenAll(runningFirst, runningSecond);

        // Every tick the first worker took after the join belongs to a partition it kept, whose symbols kept their state:
        // each one was forecast, with no warm-up (an eager rebalance would have dropped them all and re-warmed 5 ticks each).
        long keptTicks = first.Ticks - ticksAtJoin;
        Assert.True(keptTicks > 0, "the first worker kept some partitions");
        Assert.Equal(keptTicks, first.Forecasts - forecastsAtJoin);
        Assert.Equal(ticks.Count, await CountAsync(bucket, "price"));
    }
}
