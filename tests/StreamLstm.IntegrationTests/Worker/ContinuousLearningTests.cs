using System.Globalization;
using StreamLstm.Features;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Ticks;
using StreamLstm.Telemetry;
using StreamLstm.Tests.Support;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// The whole worker (pipeline, tick history, retraining) against the broker and the InfluxDB server: cold start, a
/// scheduled retrain that promotes, a poisoned challenger that is rejected, a rollback, switches by an operator and by
/// train (each model_event with its source), a restart with no warm-up gap.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ContinuousLearningTests(KafkaFixture kafka, InfluxFixture influx)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private static readonly DateTime Start = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Symbols = ["P1", "P2", "P3"];

    /// <summary>Retraining only when asked, or at cold start, looking for work every 100 ms.</summary>
    private static LearningSettings OnDemand(int minTicks = 1_500) =>
        new() { Interval = TimeSpan.FromHours(1), CheckInterval = TimeSpan.FromMilliseconds(100), MinTicks = minTicks };

    [Fact]
    public async Task A_worker_started_on_an_empty_store_serves_naive_forecasts_then_trains_and_promotes_its_first_model()
    {
        var (topic, bucket) = (kafka.CreateTopicName("cold"), await influx.NewBucketAsync());
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var first = WorkerHarness.Predictable(Symbols, 700, seed: 1, Start);
        var second = WorkerHarness.Predictable(Symbols, 100, seed: 2, Start.AddMinutes(700), continuing: first);
        await WorkerHarness.PublishAsync(kafka, topic, first);

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var (service, running) = harness.StartService(stop.Token, OnDemand(minTicks: first.Count), counters, harness.EmptyStoreDirectory);
        using (service)
        {
            Assert.Equal(NaiveModel.Id, service.Pipeline.ServingModel);
            await WaitAsync(() => service.Pipeline.ServingModel == "v1", "the first model trained, promoted and serving",
                () => $"ticks {counters.Ticks}, history {service.History.Ticks}, retrains {service.Retraining!.Outcomes.Count}, serving {service.Pipeline.ServingModel}");
            await WorkerHarness.PublishAsync(kafka, topic, second);
            await WaitAsync(() => counters.Ticks >= first.Count + second.Count, "every tick processed", () => $"ticks {counters.Ticks}");
            stop.Cancel();
            await running;

            var outcome = Assert.Single(service.Retraining!.Outcomes);
            Assert.Equal("first model", outcome.Trigger);
            Assert.Equal("v1", outcome.Version);
            Assert.Null(outcome.ChampionRelMae);
            Assert.True(outcome.RelMae < 1, $"first model's held-out rel_mae {outcome.RelMae}");
        }
        // Before the model: every forecast naive. After: the model's version (or naive where the skill gate says so),
        // every tick of the second part forecast at every horizon.
        var early = await ByModelAsync(bucket, $"time < '{Start.AddMinutes(100):O}'");
        Assert.Equal([NaiveModel.Id], early.Keys);
        var late = await ByModelAsync(bucket, $"time >= '{Start.AddMinutes(700):O}'");
        Assert.Contains("v1", late.Keys);
        Assert.Subset(new HashSet<string> { "v1", NaiveModel.Id }, late.Keys.ToHashSet());
        Assert.Equal(Symbols.Length * 100 * WorkerHarness.Settings.Horizons, late.Values.Sum());
        var events = await influx.QueryAsync(bucket, "SELECT * FROM \"model_event\"");
        var promoted = Assert.Single(events);
        Assert.Equal("promoted", promoted["action"]);
        Assert.Equal("v1", promoted["model"]);
        Assert.Equal(ModelSwitchSource.Retrain, promoted["source"]);
        Assert.Equal(1.0, Convert.ToDouble(promoted["champion_rel_mae"], CultureInfo.InvariantCulture));
        Assert.True(Convert.ToDouble(promoted["rel_mae"], CultureInfo.InvariantCulture) < 1);
    }

    [Fact]
    public async Task A_scheduled_retrain_replaces_a_poor_champion_and_forecasts_start_carrying_the_new_version()
    {
        var (topic, bucket) = (kafka.CreateTopicName("schedule"), await influx.NewBucketAsync());
        using var harness = new WorkerHarness(kafka, influx, topic, bucket); // v1: random weights
        var first = WorkerHarness.Predictable(Symbols, 700, seed: 3, Start);
        var second = WorkerHarness.Predictable(Symbols, 100, seed: 4, Start.AddMinutes(700), continuing: first);
        await WorkerHarness.PublishAsync(kafka, topic, first);

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var schedule = OnDemand() with { Interval = TimeSpan.FromSeconds(3) };
        var (service, running) = harness.StartService(stop.Token, schedule, counters);
        using (service)
        {
            await WaitAsync(() => service.Pipeline.ServingModel == "v2", "a scheduled retrain promoted v2",
                () => $"ticks {counters.Ticks}, retrains {string.Join("; ", service.Retraining!.Outcomes.Select(o => o.Decision.Reason))}");
            await WorkerHarness.PublishAsync(kafka, topic, second);
            await WaitAsync(() => counters.Ticks >= first.Count + second.Count, "every tick processed", () => $"ticks {counters.Ticks}");
            stop.Cancel();
            await running;
            var promotion = service.Retraining!.Outcomes.First(o => o.Version == "v2");
            Assert.Equal("schedule", promotion.Trigger);
            Assert.Equal("v1", promotion.Champion);
            Assert.True(promotion.RelMae < promotion.ChampionRelMae, $"{promotion.RelMae} vs champion {promotion.ChampionRelMae}");
        }
        var late = await ByModelAsync(bucket, $"time >= '{Start.AddMinutes(700):O}'");
        Assert.Contains("v2", late.Keys);
        Assert.DoesNotContain("v1", late.Keys);
        var events = await influx.QueryAsync(bucket, "SELECT * FROM \"model_event\" WHERE \"action\" = 'promoted'");
        Assert.Contains(events, e => (string?)e["model"] == "v2" && (string?)e["source"] == ModelSwitchSource.Retrain);
        // v1 was made current by training it before the worker started: written once, when the worker took it over.
        Assert.Equal(ModelSwitchSource.Train, Assert.Single(events, e => (string?)e["model"] == "v1")["source"]);
    }

    [Fact]
    public async Task A_challenger_trained_on_poisoned_history_is_rejected_not_kept_and_the_champion_keeps_serving()
    {
        var (topic, bucket) = (kafka.CreateTopicName("poison"), await influx.NewBucketAsync());
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        // The champion (v2) learned these dynamics from clean data.
        var clean = WorkerHarness.Predictable(Symbols, 700, seed: 5, Start.AddYears(-1));
        var trained = new ModelTrainer(WorkerHarness.Settings, WorkerHarness.Training).Train(SymbolSeries.FromTicks(clean, WorkerHarness.Settings.Warmup));
        var store = new ModelStore(harness.StoreDirectory);
        var champion = store.Add(trained.Network, trained.Calibration, ModelMetadata.From(trained, clean, "clean"));
        trained.Network.Dispose();
        // The history the worker accumulates: 600 ticks per symbol with their returns shuffled in time, then 200 clean.
        var poisoned = WorkerHarness.Predictable(Symbols, 600, seed: 6, Start, shuffled: true);
        var recent = WorkerHarness.Predictable(Symbols, 200, seed: 7, Start.AddMinutes(600), continuing: poisoned);
        await WorkerHarness.PublishAsync(kafka, topic, poisoned.Concat(recent));

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var (service, running) = harness.StartService(stop.Token, OnDemand(), counters);
        using (service)
        {
            await WaitAsync(() => counters.Ticks >= poisoned.Count + recent.Count, "every tick processed", () => $"ticks {counters.Ticks}");
            service.Retraining!.Request();
            await WaitAsync(() => service.Retraining.Outcomes.Count == 1 && !service.Retraining.Training, "the retrain decided", () => "retraining");
            // The champion's training before the start (source train), then the decision.
            await WaitAsync(() => counters.ModelEvents == 2, "the decision written", () => $"events {counters.ModelEvents}");
            var outcome = service.Retraining.Outcomes[0];
            Assert.False(outcome.Decision.Promote, outcome.Decision.Reason);
            Assert.Null(outcome.Version);
            Assert.True(outcome.ChampionRelMae < 1, $"champion {outcome.ChampionRelMae}");
            Assert.Equal(champion, service.Pipeline.ServingModel);
            stop.Cancel();
            await running;
        }
        Assert.Equal(["v1", champion], new ModelStore(harness.StoreDirectory).Versions());
        Assert.Equal(champion, new ModelStore(harness.StoreDirectory).CurrentVersion);
        var events = await influx.QueryAsync(bucket, "SELECT * FROM \"model_event\"");
        Assert.Equal(2, events.Count);
        var trainedBefore = Assert.Single(events, e => (string?)e["source"] == ModelSwitchSource.Train);
        Assert.Equal(("promoted", champion), ((string?)trainedBefore["action"], (string?)trainedBefore["model"]));
        var rejected = Assert.Single(events, e => (string?)e["source"] == ModelSwitchSource.Retrain);
        Assert.Equal("rejected", rejected["action"]);
        Assert.Equal(ModelEvent.Challenger, rejected["model"]);
        Assert.True(Convert.ToDouble(rejected["rel_mae"], CultureInfo.InvariantCulture) > Convert.ToDouble(rejected["champion_rel_mae"], CultureInfo.InvariantCulture) * 0.999);
    }

    [Fact]
    public async Task A_champion_worse_than_naive_on_held_out_history_is_retired_and_naive_serves()
    {
        var (topic, bucket) = (kafka.CreateTopicName("retire"), await influx.NewBucketAsync());
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        // The champion learned the opposite dynamics (returns that reverse); the stream's follow through.
        var opposite = WorkerHarness.Predictable(Symbols, 700, seed: 8, Start.AddYears(-1), phi: -0.6);
        var trained = new ModelTrainer(WorkerHarness.Settings, WorkerHarness.Training).Train(SymbolSeries.FromTicks(opposite, WorkerHarness.Settings.Warmup));
        var champion = new ModelStore(harness.StoreDirectory).Add(trained.Network, trained.Calibration, ModelMetadata.From(trained, opposite, "opposite"));
        trained.Network.Dispose();
        // A challenger has nothing to learn from (shuffled returns) and cannot beat naive by the 1% margin either.
        var poisoned = WorkerHarness.Predictable(Symbols, 600, seed: 9, Start, shuffled: true);
        var recent = WorkerHarness.Predictable(Symbols, 200, seed: 10, Start.AddMinutes(600), continuing: poisoned);
        var later = WorkerHarness.Predictable(Symbols, 50, seed: 11, Start.AddMinutes(800), continuing: recent);
        await WorkerHarness.PublishAsync(kafka, topic, poisoned.Concat(recent));

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        // The skill gate is opened wide (it would otherwise hide most of the champion's losses behind naive).
        var (service, running) = harness.StartService(stop.Token, OnDemand() with { PromotionMargin = 0.01 }, counters,
            serving: new Inference.ServingSettings { SkillMargin = -1 });
        using (service)
        {
            await WaitAsync(() => counters.Ticks >= poisoned.Count + recent.Count, "every tick processed", () => $"ticks {counters.Ticks}");
            Assert.Equal(champion, service.Pipeline.ServingModel);
            service.Retraining!.Request();
            await WaitAsync(() => service.Pipeline.ServingModel == NaiveModel.Id, "naive serving",
                () => string.Join("; ", service.Retraining.Outcomes.Select(o => $"{o.Decision.Reason}, champion {o.ChampionRelMae}")));
            var outcome = Assert.Single(service.Retraining.Outcomes);
            Assert.True(outcome.ChampionRetired);
            Assert.Null(outcome.Version);
            Assert.True(outcome.ChampionRelMae > 1.0101, $"champion {outcome.ChampionRelMae}");
            await WorkerHarness.PublishAsync(kafka, topic, later);
            // The champion's training before the start, then the rejected challenger and naive in the champion's place.
            await WaitAsync(() => counters.Ticks >= poisoned.Count + recent.Count + later.Count && counters.ModelEvents == 3,
                "later ticks processed, both decisions written", () => $"ticks {counters.Ticks}, events {counters.ModelEvents}");
            stop.Cancel();
            await running;
        }
        Assert.Equal(NaiveModel.Id, new ModelStore(harness.StoreDirectory).CurrentVersion);
        var late = await ByModelAsync(bucket, $"time >= '{Start.AddMinutes(800):O}'");
        Assert.Equal([NaiveModel.Id], late.Keys);
        var events = await influx.QueryAsync(bucket, "SELECT * FROM \"model_event\" WHERE \"source\" = 'retrain'");
        Assert.Equal(2, events.Count);
        var retired = Assert.Single(events, e => (string?)e["model"] == NaiveModel.Id);
        Assert.Equal("promoted", retired["action"]);
        Assert.Equal(1.0, Convert.ToDouble(retired["rel_mae"], CultureInfo.InvariantCulture));
        Assert.True(Convert.ToDouble(retired["champion_rel_mae"], CultureInfo.InvariantCulture) > 1.0101);
    }

    [Fact]
    public async Task A_rollback_by_the_operator_restores_the_previous_version_in_the_running_worker_and_is_recorded()
    {
        var (topic, bucket) = (kafka.CreateTopicName("rollback"), await influx.NewBucketAsync());
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var promoted = harness.AddVersion(seed: 9);
        var ticks = WorkerHarness.Ticks(Symbols, 40);
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Take(60));

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var (service, running) = harness.StartService(stop.Token, OnDemand() with { Enabled = false }, counters);
        using (service)
        {
            Assert.Equal(promoted, service.Pipeline.ServingModel);
            await WaitAsync(() => counters.Ticks >= 60, "first part processed", () => $"ticks {counters.Ticks}");
            Assert.Equal("v1", new ModelStore(harness.StoreDirectory).Rollback());
            await WaitAsync(() => service.Pipeline.ServingModel == "v1", "v1 serving again", () => $"serving {service.Pipeline.ServingModel}");
            await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(60));
            await WaitAsync(() => counters.Ticks >= ticks.Count && counters.ModelEvents == 2, "every tick processed and the rollback written",
                () => $"ticks {counters.Ticks}, events {counters.ModelEvents}");
            stop.Cancel();
            await running;
        }
        var late = await ByModelAsync(bucket, $"time >= '{Start.AddMinutes(20):O}'");
        Assert.Contains("v1", late.Keys);
        Assert.DoesNotContain(promoted, late.Keys);
        var events = await influx.QueryAsync(bucket, "SELECT * FROM \"model_event\"");
        Assert.Equal(2, events.Count);
        // The version trained before the worker started, written when the worker took it over.
        var trained = Assert.Single(events, e => (string?)e["action"] == "promoted");
        Assert.Equal((promoted, ModelSwitchSource.Train), ((string?)trained["model"], (string?)trained["source"]));
        var rollback = Assert.Single(events, e => (string?)e["action"] == "rollback");
        Assert.Equal("v1", rollback["model"]);
        Assert.Equal(ModelSwitchSource.Operator, rollback["source"]);
        Assert.Equal(1.0, Convert.ToDouble(rollback["model_version"], CultureInfo.InvariantCulture));
        AssertAtTickTimes(events, ticks);
    }

    [Fact]
    public async Task A_promotion_and_a_train_are_recorded_with_their_source_in_the_running_worker_and_a_rollback_made_while_none_runs_at_the_next_start()
    {
        var (topic, bucket) = (kafka.CreateTopicName("switches"), await influx.NewBucketAsync());
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var v2 = harness.AddVersion(seed: 9);
        var ticks = WorkerHarness.Ticks(Symbols, 60);
        var csv = Path.Combine(harness.WorkDirectory("csv"), "prices.csv");
        File.WriteAllLines(csv, ["timestamp,symbol,price", .. WorkerHarness.Predictable(Symbols, 300, seed: 12, Start.AddYears(-1))
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Timestamp:yyyy-MM-ddTHH:mm:ssZ},{t.Symbol},{t.Price}"))]);
        string[] shape = ["--Model:HiddenSize=8", "--Model:Layers=1", "--Model:Horizons=2", "--Model:Warmup=5"];
        var learning = OnDemand() with { Enabled = false };

        await WorkerHarness.PublishAsync(kafka, topic, ticks.Take(3 * 20));
        using (var stop = new CancellationTokenSource())
        {
            var counters = new PipelineCounters();
            var (service, running) = harness.StartService(stop.Token, learning, counters);
            using (service)
            {
                await WaitAsync(() => counters.Ticks >= 3 * 20 && counters.ModelEvents == 1, "first part processed, the version trained before the start written",
                    () => $"ticks {counters.Ticks}, events {counters.ModelEvents}");
                var promote = VerbRunner.Run("models", "promote", "v1", "--model-dir", harness.StoreDirectory);
                Assert.True(promote.Code == 0, promote.Error);
                await WaitAsync(() => service.Pipeline.ServingModel == "v1" && counters.ModelEvents == 2, "v1 promoted, serving and written",
                    () => $"serving {service.Pipeline.ServingModel}, events {counters.ModelEvents}");
                await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(3 * 20).Take(3 * 20));
                await WaitAsync(() => counters.Ticks >= 3 * 40, "second part processed", () => $"ticks {counters.Ticks}");
                var train = VerbRunner.Run(["train", "--data", csv, "--out", harness.StoreDirectory, "--epochs", "1", .. shape]);
                Assert.True(train.Code == 0, train.Error);
                await WaitAsync(() => service.Pipeline.ServingModel == "v3" && counters.ModelEvents == 3, "v3 trained, serving and written",
                    () => $"serving {service.Pipeline.ServingModel}, events {counters.ModelEvents}");
                stop.Cancel();
                await running;
            }
        }
        var rollback = VerbRunner.Run("models", "rollback", "--model-dir", harness.StoreDirectory);
        Assert.True(rollback.Code == 0, rollback.Error);
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(3 * 40));
        using (var stop = new CancellationTokenSource())
        {
            var counters = new PipelineCounters();
            var (service, running) = harness.StartService(stop.Token, learning, counters);
            using (service)
            {
                Assert.Equal("v1", service.Pipeline.ServingModel);
                await WaitAsync(() => counters.Ticks >= 3 * 20 && counters.ModelEvents == 1, "last part processed, the rollback written",
                    () => $"ticks {counters.Ticks}, events {counters.ModelEvents}");
                stop.Cancel();
                await running;
            }
        }
        var events = await influx.QueryAsync(bucket, "SELECT * FROM \"model_event\"");
        (string?, string?, string?)[] expected = [("promoted", v2, ModelSwitchSource.Train), ("promoted", "v1", ModelSwitchSource.Operator),
            ("promoted", "v3", ModelSwitchSource.Train), ("rollback", "v1", ModelSwitchSource.Operator)];
        var inOrder = expected.Select(x => Assert.Single(events, e => ((string?)e["action"], (string?)e["model"], (string?)e["source"]) == x)).ToList();
        Assert.Equal(expected.Length, events.Count);
        // Each at the newest tick consumed when the worker took the switch over (two may share one).
        Assert.Equal(inOrder.Select(e => e.Time).Order(), inOrder.Select(e => e.Time));
        AssertAtTickTimes(events, ticks);
        // A trained version's figures are those of its validation.
        Assert.True(Convert.ToDouble(inOrder[2]["rel_mae"], CultureInfo.InvariantCulture) > 0);
    }

    /// <summary>Each event is at the time of a tick the worker had consumed, not of the wall clock.</summary>
    private static void AssertAtTickTimes(IReadOnlyList<InfluxRow> events, IReadOnlyList<Tick> ticks) =>
        Assert.All(events, e => Assert.InRange(e.Time, LineProtocol.Nanoseconds(ticks[0].Timestamp), LineProtocol.Nanoseconds(ticks.Max(t => t.Timestamp))));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_restarted_worker_forecasts_the_next_tick_of_every_symbol_with_no_warm_up_gap(bool checkpoints)
    {
        var state = new StreamLstm.State.StateSettings { Enabled = checkpoints };
        var (topic, bucket) = (kafka.CreateTopicName("restart"), await influx.NewBucketAsync());
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var ticks = WorkerHarness.Ticks(Symbols, 60);
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Take(3 * 40));
        var learning = OnDemand() with { Enabled = false };
        using (var stop = new CancellationTokenSource())
        {
            var counters = new PipelineCounters();
            var (service, running) = harness.StartService(stop.Token, learning, counters, state: state);
            using (service)
            {
                await WaitAsync(() => counters.Ticks >= 3 * 40, "first part processed", () => $"ticks {counters.Ticks}");
                stop.Cancel();
                await running;
                Assert.Equal(3 * 40, service.History.Ticks);
            }
        }
        await WorkerHarness.PublishAsync(kafka, topic, ticks.Skip(3 * 40));
        using (var stop = new CancellationTokenSource())
        {
            var counters = new PipelineCounters();
            var (service, running) = harness.StartService(stop.Token, learning, counters, state: state);
            using (service)
            {
                await WaitAsync(() => counters.Ticks >= 3 * 20 && counters.PointsWritten >= counters.Points, "second part processed and written",
                    () => $"ticks {counters.Ticks}, points {counters.PointsWritten}/{counters.Points}");
                stop.Cancel();
                await running;
                Assert.Equal(3 * 20, counters.Ticks);
                // Restored exactly from their checkpoints, or, with checkpoints off, re-warmed from the history.
                Assert.Equal(checkpoints ? Symbols.Length : 0, counters.Restored);
                Assert.Equal(checkpoints ? 0 : Symbols.Length, counters.Rewarmed);
            }
        }
        // The version the harness trained before the first start is written once, not again after the restart.
        var taken = Assert.Single(await influx.QueryAsync(bucket, "SELECT * FROM \"model_event\""));
        Assert.Equal(("promoted", "v1", ModelSwitchSource.Train), ((string?)taken["action"], (string?)taken["model"], (string?)taken["source"]));
        // A cold restart would skip the first Warmup ticks of every symbol; restored or re-warmed, none is skipped.
        var late = await ByModelAsync(bucket, $"time >= '{Start.AddMinutes(40):O}'");
        Assert.Equal(Symbols.Length * 20 * WorkerHarness.Settings.Horizons, late.Values.Sum());
        foreach (var symbol in Symbols)
        {
            var firstAfterRestart = await influx.QueryAsync(bucket,
                $"SELECT count(\"value\") FROM \"forecast\" WHERE \"symbol\" = '{symbol}' AND time = '{Start.AddMinutes(40):O}'");
            Assert.Equal(WorkerHarness.Settings.Horizons, Convert.ToInt64(Assert.Single(firstAfterRestart)["count"]));
        }
    }

    private async Task<Dictionary<string, long>> ByModelAsync(string bucket, string where) =>
        (await influx.QueryAsync(bucket, $"SELECT count(\"value\") FROM \"forecast\" WHERE {where} GROUP BY \"model\""))
            .ToDictionary(r => r.Tags["model"], r => Convert.ToInt64(r["count"]));

    private static Task WaitAsync(Func<bool> condition, string what, Func<string> diagnostics) =>
        Poll.UntilAsync(_ => Task.FromResult(condition()), Patience, what, diagnostics);
}
