using Microsoft.Extensions.Logging.Abstractions;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Tests.Support;

namespace StreamLstm.Tests.Pipeline;

public class SwitchEventsTests
{
    private static readonly DateTime Utc = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    private static ModelVersion Version(string id, HoldoutEvaluation? holdout = null) =>
        new(new LstmForecaster(SmallModel.Settings), new ModelConfiguration(SmallModel.Settings, Calibration.Identity(SmallModel.Settings.Horizons)),
            new ModelMetadata { Version = id, ValidationRelMae = [0.9, 0.95], ValidationCoverage80 = [0.81, 0.79], Holdout = holdout });

    [Theory]
    [InlineData("promoted", ModelSwitchSource.Operator, "promoted")]
    [InlineData("rollback", ModelSwitchSource.Operator, "rollback")]
    [InlineData("trained", ModelSwitchSource.Train, "promoted")]
    public void A_switch_by_an_operator_or_train_taken_over_is_an_event_with_its_source_and_the_figures_the_version_was_admitted_on(
        string reason, string source, string action)
    {
        using var v2 = Version("v2");
        var taken = new SwitchEvents(null, NullLogger.Instance).TakenOver(new ModelSwitch(Utc, "v2", reason, source), v2);

        Assert.NotNull(taken);
        Assert.Equal((action, "v2", source), (taken.Action, taken.Model, taken.Source));
        // No held-out evaluation (a trained version): its validation at horizon 1.
        Assert.Equal((0.9, 0.81), (taken.RelMae, taken.Coverage80));
        Assert.True(double.IsNaN(taken.ChampionRelMae));
        // At the time of the newest tick, which the pipeline fills in.
        Assert.Equal(default, taken.Time);
    }

    [Fact]
    public void A_version_a_retraining_promoted_rolled_back_to_carries_its_held_out_figures()
    {
        using var v1 = Version("v1", new HoldoutEvaluation(500, 0.92, 1.0, 0.8, NaiveModel.Id));
        var taken = new SwitchEvents(null, NullLogger.Instance).TakenOver(new ModelSwitch(Utc, "v1", "rollback", ModelSwitchSource.Operator), v1)!;
        Assert.Equal((0.92, 1.0, 0.8), (taken.RelMae, taken.ChampionRelMae, taken.Coverage80));
    }

    [Fact]
    public void Naive_made_current_by_an_operator_is_promoted_with_a_rel_mae_of_one()
    {
        using var naive = NaiveModel.Create(SmallModel.Settings);
        var taken = new SwitchEvents(null, NullLogger.Instance).TakenOver(new ModelSwitch(Utc, NaiveModel.Id, "promoted", ModelSwitchSource.Operator), naive)!;
        Assert.Equal(("promoted", NaiveModel.Id, ModelSwitchSource.Operator, 1.0), (taken.Action, taken.Model, taken.Source, taken.RelMae));
    }

    [Fact]
    public void A_retrainings_switch_and_a_switch_to_another_version_are_no_event_of_the_follower()
    {
        using var v2 = Version("v2");
        var events = new SwitchEvents(null, NullLogger.Instance);
        // The retraining writes its own, with the held-out figures it decided on.
        Assert.Null(events.TakenOver(new ModelSwitch(Utc, "v2", "promoted", ModelSwitchSource.Retrain), v2));
        // The store moved on after the follower read its current version: the next look reports the newer switch.
        Assert.Null(events.TakenOver(new ModelSwitch(Utc, "v3", "promoted", ModelSwitchSource.Operator), v2));
        Assert.Null(events.TakenOver(null, v2));
    }

    [Fact]
    public void Of_the_switches_an_earlier_release_recorded_without_a_source_only_rollbacks_are_events_as_they_were()
    {
        using var v2 = Version("v2");
        var events = new SwitchEvents(null, NullLogger.Instance);
        var rollback = events.TakenOver(new ModelSwitch(Utc, "v2", "rollback", null), v2)!;
        Assert.Equal(("rollback", ModelSwitchSource.Operator), (rollback.Action, rollback.Source));
        Assert.Null(events.TakenOver(new ModelSwitch(Utc, "v2", "promoted", null), v2));
    }

    [Fact]
    public void A_switch_made_while_the_worker_was_stopped_is_an_event_at_its_next_start_only()
    {
        using var dir = new TempDirectory();
        var marker = Path.Combine(dir.File("history"), "ticks.model-switch");
        using var v2 = Version("v2");
        var trained = new ModelSwitch(Utc, "v2", "trained", ModelSwitchSource.Train);

        var first = new SwitchEvents(marker, NullLogger.Instance).AtStart(trained, v2);
        Assert.NotNull(first);
        Assert.Equal(("promoted", "v2", ModelSwitchSource.Train), (first.Action, first.Model, first.Source));
        Assert.True(File.Exists(marker));
        // Restarted with no switch since: nothing.
        Assert.Null(new SwitchEvents(marker, NullLogger.Instance).AtStart(trained, v2));

        // A rollback while it was stopped again.
        using var v1 = Version("v1");
        var rollback = new ModelSwitch(Utc.AddHours(1), "v1", "rollback", ModelSwitchSource.Operator);
        Assert.Equal("rollback", new SwitchEvents(marker, NullLogger.Instance).AtStart(rollback, v1)?.Action);
        Assert.Null(new SwitchEvents(marker, NullLogger.Instance).AtStart(rollback, v1));
    }

    [Fact]
    public void A_switch_taken_over_while_running_is_not_reported_again_at_the_next_start()
    {
        using var dir = new TempDirectory();
        var marker = dir.File("ticks.model-switch");
        using var v2 = Version("v2");
        var promoted = new ModelSwitch(Utc, "v2", "promoted", ModelSwitchSource.Operator);
        Assert.NotNull(new SwitchEvents(marker, NullLogger.Instance).TakenOver(promoted, v2));
        Assert.Null(new SwitchEvents(marker, NullLogger.Instance).AtStart(promoted, v2));
    }

    [Fact]
    public void At_start_no_event_for_a_retrainings_switch_a_switch_without_a_source_a_version_not_serving_or_no_marker()
    {
        using var dir = new TempDirectory();
        using var v2 = Version("v2");
        using var naive = NaiveModel.Create(SmallModel.Settings);
        // The retraining reported its switch when it made it; an earlier release's switch was seen by an earlier worker.
        Assert.Null(new SwitchEvents(dir.File("a"), NullLogger.Instance).AtStart(new ModelSwitch(Utc, "v2", "promoted", ModelSwitchSource.Retrain), v2));
        Assert.Null(new SwitchEvents(dir.File("b"), NullLogger.Instance).AtStart(new ModelSwitch(Utc, "v2", "trained", null), v2));
        // The current version cannot be loaded, so naive serves: that is no switch.
        Assert.Null(new SwitchEvents(dir.File("c"), NullLogger.Instance).AtStart(new ModelSwitch(Utc, "v2", "trained", ModelSwitchSource.Train), naive));
        Assert.Null(new SwitchEvents(dir.File("d"), NullLogger.Instance).AtStart(null, v2));
        Assert.Null(new SwitchEvents(null, NullLogger.Instance).AtStart(new ModelSwitch(Utc, "v2", "trained", ModelSwitchSource.Train), v2));
    }
}
