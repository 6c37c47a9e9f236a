using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Tests.Support;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// <c>Sink:Profile</c>: each lean profile writes exactly what it promises, counted in the real InfluxDB against what
/// <c>full</c> wrote for the same ticks.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class OutputProfileTests(KafkaFixture kafka, InfluxFixture influx)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan SkillInterval = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(3);
    private static readonly string[] Measurements = ["price", "forecast", "forecast_error", "skill"];
    private static readonly string[] TagKeys = ["horizon", "model", "symbol"];

    [Fact]
    public async Task Each_profile_writes_exactly_what_it_promises()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("this test stops the worker with SIGTERM (kill(1)); it runs on Linux");
        var topic = kafka.CreateTopicName("profiles");
        var ticks = WorkerHarness.Ticks(["L1", "L2", "L3"], 150);
        await WorkerHarness.PublishAsync(kafka, topic, ticks);

        var full = await RunAsync(topic, ticks.Count, "full");
        var skill = await RunAsync(topic, ticks.Count, "skill", $"--Sink:SkillInterval={SkillInterval}");
        var lean = await RunAsync(topic, ticks.Count, "lean", $"--Sink:SkillInterval={SkillInterval}", "--Sink:Horizons=2", $"--Sink:MinInterval={MinInterval}");

        int horizons = WorkerHarness.Settings.Horizons;
        int perSymbol = 150 - WorkerHarness.Settings.Warmup;
        Assert.Equal(ticks.Count, full.Count(p => p.Measurement == "price"));
        Assert.Equal(3 * perSymbol * horizons, full.Count(p => p.Measurement == "forecast"));
        // A forecast of horizon h made at each warm tick, resolved h ticks later when that tick came.
        Assert.Equal(3 * (perSymbol * horizons - horizons * (horizons + 1) / 2), full.Count(p => p.Measurement == "forecast_error"));
        Assert.DoesNotContain(full, p => p.Measurement == "skill");

        var expectedSkill = ProfileOracle.Skill(full, SkillInterval.Ticks * 100);
        // 150 one-minute ticks: 15 ten-minute intervals per symbol, the last one still open.
        Assert.InRange(expectedSkill.Count, 3 * 13 * horizons, 3 * 14 * horizons * 2);
        foreach (var run in new[] { skill, lean })
        {
            Assert.Equal(ProfileOracle.Texts(full, "price"), ProfileOracle.Texts(run, "price"));
            Assert.Equal(ProfileOracle.Texts(expectedSkill, "skill"), ProfileOracle.Texts(run, "skill"));
            Assert.DoesNotContain(run, p => p.Measurement == "forecast_error");
        }
        Assert.Equal(ProfileOracle.Texts(full, "forecast"), ProfileOracle.Texts(skill, "forecast"));
        var thinned = ProfileOracle.Thinned(full, MinInterval.Ticks * 100, ["2"]);
        Assert.Equal(3 * (int)Math.Ceiling(perSymbol / 3.0), thinned.Count);
        Assert.Equal(ProfileOracle.Texts(thinned, "forecast"), ProfileOracle.Texts(lean, "forecast"));
    }

    /// <summary>Runs <c>streamlstm run</c> with <paramref name="profile"/> over the topic into a bucket of its own, until every tick's price is in; returns every point.</summary>
    private async Task<List<ProfilePoint>> RunAsync(string topic, int ticks, string profile, params string[] settings)
    {
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var work = harness.WorkDirectory(profile);
        var arguments = harness.RunArguments($"http://127.0.0.1:{FreePort.Pick()}", work)
            .Concat([$"--Kafka:GroupId={topic}-{profile}", $"--Sink:Profile={profile}", "--State:Enabled=false", .. settings]);
        using (var worker = new WorkerProcess(arguments, work))
        {
            // A tick's points are written in the request of its price point: once every price is in, so is the rest.
            await Poll.UntilAsync(async _ => await influx.CountAsync(bucket, "price") >= ticks, Patience, $"every price of the {profile} run", () => worker.Output);
            worker.Terminate();
            Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        var points = new List<ProfilePoint>();
        foreach (var measurement in Measurements)
        {
            foreach (var row in await influx.QueryAsync(bucket, $"SELECT * FROM \"{measurement}\" GROUP BY *"))
            {
                var tags = TagKeys.Where(k => row.Tags.ContainsKey(k)).ToDictionary(k => k, k => row.Tags[k]);
                var fields = row.Columns.Where(c => c.Key != "time" && c.Value is not null && !tags.ContainsKey(c.Key))
                    .ToDictionary(c => c.Key, c => Convert.ToDouble(c.Value, System.Globalization.CultureInfo.InvariantCulture));
                points.Add(new ProfilePoint(measurement, tags, fields, row.Time));
            }
        }
        return points;
    }
}
