using Microsoft.Extensions.Logging.Abstractions;
using StreamLstm.Inference;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Tests.Support;

namespace StreamLstm.Tests.Learning;

public class RetrainingLoopPromotionTests
{
    /// <summary>A store another worker switches while this one adds its challenger (after the loop's first look).</summary>
    private sealed class SwitchedWhileAdding(ModelStore inner, Action<ModelStore> meanwhile) : IModelStore
    {
        public string Location => inner.Location;
        public string? CurrentVersion => inner.CurrentVersion;
        public IReadOnlyList<string> Versions() => inner.Versions();

        public string Add(LstmForecaster network, Calibration calibration, ModelMetadata metadata, bool makeCurrent = true)
        {
            meanwhile(inner);
            return inner.Add(network, calibration, metadata, makeCurrent);
        }

        public void SetCurrent(string id, string reason = "promoted") => inner.SetCurrent(id, reason);
        public void SetCurrent(string id, string reason, string? expectedCurrent, string source = ModelSwitchSource.Operator) => inner.SetCurrent(id, reason, expectedCurrent, source);
        public string Rollback() => inner.Rollback();
        public IReadOnlyList<string> Prune(int keep) => inner.Prune(keep);
        public IReadOnlyList<ModelSwitch> History() => inner.History();
        public ModelSwitch? LastSwitch() => inner.LastSwitch();
        public ModelVersion LoadCurrent() => inner.LoadCurrent();
        public ModelVersion Load(string id) => inner.Load(id);
        public ModelConfiguration ReadConfiguration(string id) => inner.ReadConfiguration(id);
        public ModelMetadata ReadMetadata(string id) => inner.ReadMetadata(id);
        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public void A_challenger_that_beat_a_champion_replaced_while_it_trained_is_not_made_current()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("store"));
        var inner = new ModelStore(dir.File("store"));
        // Another worker of the group retires to naive while this one trains against "no model" (cold start).
        using var store = new SwitchedWhileAdding(inner, s => { if (s.CurrentVersion is null) s.SetCurrent(NaiveModel.Id, "another worker"); });
        using var history = new TickHistory(new HistorySettings { Directory = dir.File("history") }, "ticks");
        long offset = 0;
        foreach (var tick in SyntheticTicks.Generate(3, 800, seed: 4, phi: 0.5)) history.Append(0, offset++, tick.Symbol, tick.Timestamp, tick.Price);
        var learning = new LearningSettings { MinTicks = 1000, CoverageMin = 0, CoverageMax = 1 };
        var events = new List<ModelEvent>();
        var loop = new RetrainingLoop(learning, SmallModel.Training, SmallModel.Settings, new ServingSettings(), store, history, drift: null, events.Add, NullLogger.Instance);

        var outcome = loop.Retrain("requested")!;

        Assert.False(outcome.Decision.Promote);
        Assert.Equal("stale: the current version became naive while it was judged against none", outcome.Decision.Reason);
        Assert.Null(outcome.Version);
        Assert.Equal(NaiveModel.Id, inner.CurrentVersion);
        // The challenger was added before the switch was refused: it stays, not current, as models list shows it.
        Assert.Equal(["v1"], inner.Versions());
        var rejected = Assert.Single(events);
        Assert.Equal(("rejected", ModelSwitchSource.Retrain), (rejected.Action, rejected.Source));
        // The other worker's switch is the last one; this one's challenger never became current.
        Assert.Equal(NaiveModel.Id, inner.LastSwitch()?.Version);
    }
}
