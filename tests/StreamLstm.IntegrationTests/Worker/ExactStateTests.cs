using System.Globalization;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Ticks;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// Forecasts are a function of the ticks and the model serving, whatever happens to the workers: every point in
/// InfluxDB after crashes and restarts of <c>streamlstm run</c> (its own process, SIGKILLed) equals the point an
/// uninterrupted run of the same ticks wrote, every measurement, tag, timestamp and value, none missing, none extra.
/// By default on synthetic ticks with a short re-warm and frequent checkpoints; with <c>STREAMLSTM_EXACT_DATA</c> naming
/// a price CSV, on that file's ticks with the worker's default settings (how the figures in the closing notes of the
/// state work were measured on real data).
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ExactStateTests(KafkaFixture kafka, InfluxFixture influx, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly string[] Measurements = ["price", "forecast", "forecast_error", "skill"];

    /// <summary>The settings of an output profile: <c>lean</c>'s skill sums and thinning must survive the interruptions too.</summary>
    private static string[] Profile(string profile) => profile == "full" ? [] :
        [$"--Sink:Profile={profile}", "--Sink:SkillInterval=00:05:00", "--Sink:Horizons=2", "--Sink:MinInterval=00:02:00"];

    private static readonly string? DataFile = Environment.GetEnvironmentVariable("STREAMLSTM_EXACT_DATA");

    // A re-warm over 20 ticks cannot reproduce a symbol's state: only the checkpoints can.
    private static readonly string[] Exactness = DataFile is null ? ["--History:RewarmTicks=20", "--State:CheckpointInterval=00:00:00.200"] : [];

    [Theory]
    [InlineData("full")]
    [InlineData("lean")]
    public async Task A_worker_killed_mid_stream_and_while_influxdb_is_down_then_restarted_leaves_exactly_the_points_of_an_uninterrupted_run(string profile)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("this test SIGKILLs and SIGTERMs the worker; it runs on Linux");
        var ticks = Ticks;
        var expected = await ReferenceAsync(profile);
        if (profile != "full") Assert.Contains(expected, p => p.StartsWith("skill ", StringComparison.Ordinal));

        var topic = kafka.CreateTopicName("exact");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var work = harness.WorkDirectory("exact");
        int third = ticks.Count / 3;

        // 1. Killed mid-stream, ticks arriving and points being written, after the group committed offsets: the restart
        // resumes there, not from the start.
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Take(third / 2));
        using (var worker = Start(harness, work, profile))
        {
            await Poll.UntilAsync(_ => Task.FromResult(kafka.Committed(harness.Kafka.GroupId, topic) > 0), Patience, "offsets committed", () => worker.Output);
            long before = await influx.CountAsync(bucket, "price");
            var publishing = WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(third / 2).Take(third - third / 2));
            await Poll.UntilAsync(async _ => await influx.CountAsync(bucket, "price") > before, Patience, "more points written", () => worker.Output);
            worker.Kill();
            await publishing;
        }

        // 2. Killed while InfluxDB is down and points are queued in the worker.
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(third).Take(third));
        long written = await influx.CountAsync(bucket, "price");
        await influx.StopAsync();
        try
        {
            using var worker = Start(harness, work, profile);
            long failures = influx.WritesFailed;
            await Poll.UntilAsync(_ => Task.FromResult(worker.Output.Contains("Partitions assigned", StringComparison.Ordinal)), Patience, "partitions assigned", () => worker.Output);
            // Give it time to consume the second third and queue its points against the outage.
            await Task.Delay(TimeSpan.FromSeconds(3));
            worker.Kill();
        }
        finally
        {
            await influx.StartAsync();
        }

        // 3. Restarted for the rest, then stopped as systemd stops it.
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(2 * third));
        string output;
        using (var worker = Start(harness, work, profile))
        {
            await Poll.UntilAsync(async _ => await CountsAsync(bucket) is var counts && Measurements.All(m => counts[m] >= expected.Count(p => p.StartsWith(m + " ", StringComparison.Ordinal))),
                Patience, "every point written", () => worker.Output);
            worker.Terminate();
            Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            output = worker.Output;
        }

        AssertSame(expected, await PointsAsync(bucket));
        Assert.True(written > 0, "the first worker wrote points before it was killed");
        Assert.Contains("symbols restored from", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_that_joins_with_an_empty_disk_and_then_takes_over_from_a_killed_one_leaves_exactly_the_points_of_an_uninterrupted_run()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("this test SIGKILLs and SIGTERMs the worker; it runs on Linux");
        var ticks = Ticks;
        var expected = await ReferenceAsync();
        var topic = kafka.CreateTopicName("failover");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        int third = ticks.Count / 3;

        await WorkerHarness.PublishAsync(kafka, topic, ticks.Take(third));
        using var first = Start(harness, harness.WorkDirectory("failover-a"));
        await Poll.UntilAsync(_ => Task.FromResult(kafka.Committed(harness.Kafka.GroupId, topic) > 0), Patience, "the first worker's offsets committed", () => first.Output);

        // A second worker, with a data folder of its own, joins: some partitions move to it with their state.
        var secondWork = harness.WorkDirectory("failover-b");
        using var second = Start(harness, secondWork);
        await Poll.UntilAsync(_ => Task.FromResult(second.Output.Contains("Partitions assigned", StringComparison.Ordinal)), Patience, "partitions moved to the second worker",
            () => first.Output + second.Output);
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(third).Take(third));
        await Poll.UntilAsync(async _ => await influx.CountAsync(bucket, "price") >= 2 * third, Patience, "two thirds written", () => first.Output + second.Output);

        // The first one dies; once its session expires the survivor takes everything.
        first.Kill();
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(2 * third));
        await Poll.UntilAsync(async _ => await CountsAsync(bucket) is var counts && Measurements.All(m => counts[m] >= expected.Count(p => p.StartsWith(m + " ", StringComparison.Ordinal))),
            Patience, "every point written", () => second.Output);
        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        AssertSame(expected, await PointsAsync(bucket));
        Assert.Contains("symbols restored from", second.Output, StringComparison.Ordinal);
        // The survivor's history followed the partitions: what the first worker had consumed was read back from the
        // topic, so its disk holds every tick of every symbol.
        Assert.Contains("tick history was rebuilt from the topic", second.Output, StringComparison.Ordinal);
        var held = StreamLstm.Learning.TickHistoryFiles.Summarize(Path.Combine(secondWork, "history"), topic);
        var sent = ticks.GroupBy(t => t.Symbol).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(sent.OrderBy(kv => kv.Key), held.Select(s => KeyValuePair.Create(s.Symbol, (int)s.Ticks)).OrderBy(kv => kv.Key));
    }

    private void AssertSame(HashSet<string> expected, HashSet<string> actual)
    {
        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        output.WriteLine($"{Ticks.Count} ticks ({DataFile ?? "synthetic"}): {expected.Count} points in the uninterrupted run, {actual.Count} after the interruptions; {missing.Count} missing or different, {extra.Count} extra");
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{missing.Count} of {expected.Count} points missing or different, {extra.Count} extra; first missing: {string.Join(" | ", missing.Take(3))}; first extra: {string.Join(" | ", extra.Take(3))}");
    }

    private static readonly List<Tick> Ticks = DataFile is null
        ? WorkerHarness.Ticks(Enumerable.Range(0, 6).Select(i => $"X{i}").ToArray(), 300, seed: 11)
        : PriceCsvReader.Read(DataFile).Ticks.ToList();

    // The uninterrupted run of a profile is the same for every test here: run once.
    private static readonly Dictionary<string, Task<HashSet<string>>> References = [];

    private Task<HashSet<string>> ReferenceAsync(string profile = "full")
    {
        lock (References) return References.TryGetValue(profile, out var run) ? run : References[profile] = UninterruptedAsync(Ticks, profile);
    }

    private WorkerProcess Start(WorkerHarness harness, string work, string profile = "full") =>
        new(harness.RunArguments($"http://127.0.0.1:{FreePort.Pick()}", work).Concat(Exactness).Concat(Profile(profile)), work);

    /// <summary>Every point of an uninterrupted run of <paramref name="ticks"/> (a topic, group and bucket of its own).</summary>
    private async Task<HashSet<string>> UninterruptedAsync(IReadOnlyList<Tick> ticks, string profile)
    {
        var topic = kafka.CreateTopicName("exact-reference");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var work = harness.WorkDirectory("exact-reference");
        await WorkerHarness.PublishAsync(kafka, topic, ticks);
        using var worker = Start(harness, work, profile);
        // A tick's points go out in the write request of its price point, and stopping flushes the rest.
        await Poll.UntilAsync(async _ => await CountsAsync(bucket) is var c && c["price"] == ticks.Count,
            Patience, "the uninterrupted run's points", () => worker.Output);
        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var points = await PointsAsync(bucket);
        Assert.Equal(ticks.Count, points.Count(p => p.StartsWith("price ", StringComparison.Ordinal)));
        return points;
    }

    private async Task<Dictionary<string, long>> CountsAsync(string bucket)
    {
        var counts = new Dictionary<string, long>();
        foreach (var measurement in Measurements)
            counts[measurement] = (await influx.QueryAsync(bucket, $"SELECT count(*) FROM \"{measurement}\""))
                .Select(r => r.Columns.Where(c => c.Key.StartsWith("count_", StringComparison.Ordinal)).Max(c => Convert.ToInt64(c.Value, CultureInfo.InvariantCulture)))
                .DefaultIfEmpty(0).Sum();
        return counts;
    }

    /// <summary>Every point of the bucket as one line: measurement, then each column (tags, time, fields) by name, doubles round-tripped.</summary>
    private async Task<HashSet<string>> PointsAsync(string bucket)
    {
        var points = new HashSet<string>(StringComparer.Ordinal);
        foreach (var measurement in Measurements)
            foreach (var row in await influx.QueryAsync(bucket, $"SELECT * FROM \"{measurement}\""))
                points.Add(measurement + " " + string.Join(",", row.Columns.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={Format(c.Value)}")));
        return points;
    }

    private static string Format(object? value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        null => "",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
