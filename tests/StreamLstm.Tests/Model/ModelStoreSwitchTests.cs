using StreamLstm.Model;
using StreamLstm.Tests.Support;

namespace StreamLstm.Tests.Model;

public class ModelStoreSwitchTests
{
    [Fact]
    public void A_switch_against_a_current_version_that_was_replaced_is_refused_and_changes_nothing()
    {
        using var dir = new TempDirectory();
        var store = new ModelStore(dir.File("store"));
        var trained = SmallModel.Train(ticks: 300);
        var v1 = store.Add(trained.Network, trained.Calibration, SmallModel.Metadata());
        var v2 = store.Add(trained.Network, trained.Calibration, SmallModel.Metadata(), makeCurrent: false);
        var v3 = store.Add(trained.Network, trained.Calibration, SmallModel.Metadata(), makeCurrent: false);
        trained.Network.Dispose();

        // Two trainers judged their challengers against v1; the first to switch wins, the second is refused.
        store.SetCurrent(v2, "promoted", expectedCurrent: v1);
        var ex = Assert.Throws<ModelStoreConflictException>(() => store.SetCurrent(v3, "promoted", expectedCurrent: v1));
        Assert.Equal($"model store '{store.Directory}': v3 was not made current because the current version is v2, not v1 (switched meanwhile by another writer)", ex.Message);
        Assert.Equal(v2, ex.Current);
        Assert.Equal(v2, store.CurrentVersion);
        Assert.Equal(["trained", "promoted"], store.History().Select(h => h.Reason));

        Directory.CreateDirectory(dir.File("empty"));
        Assert.Null(Assert.Throws<ModelStoreConflictException>(() => new ModelStore(dir.File("empty")).SetCurrent(NaiveModel.Id, "retired", expectedCurrent: v1)).Current);
        Assert.Equal(v1, store.Rollback());
    }

    [Fact]
    public void Every_switch_is_recorded_with_its_source_and_the_last_one_is_read_back_to_naive_too()
    {
        using var dir = new TempDirectory();
        var store = new ModelStore(dir.File("store"));
        var trained = SmallModel.Train(ticks: 300);
        var v1 = store.Add(trained.Network, trained.Calibration, SmallModel.Metadata());
        var v2 = store.Add(trained.Network, trained.Calibration, SmallModel.Metadata(), makeCurrent: false);
        trained.Network.Dispose();

        store.SetCurrent(v2, "promoted", expectedCurrent: v1, ModelSwitchSource.Retrain);
        store.SetCurrent(v1, "promoted", expectedCurrent: v2);
        store.Rollback();
        store.SetCurrent(NaiveModel.Id, "retired: naive beat it on held-out history", expectedCurrent: v2, ModelSwitchSource.Retrain);

        Assert.Equal([("trained", ModelSwitchSource.Train), ("promoted", ModelSwitchSource.Retrain), ("promoted", ModelSwitchSource.Operator), ("rollback", ModelSwitchSource.Operator)],
            store.History().Select(h => (h.Reason, h.Source!)));
        // The history lists switches between versions; the last switch may be to naive.
        var last = store.LastSwitch()!;
        Assert.Equal((NaiveModel.Id, "retired: naive beat it on held-out history", ModelSwitchSource.Retrain), (last.Version, last.Reason, last.Source));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.SetCurrent(v1, "promoted", expectedCurrent: NaiveModel.Id, "someone"));
        Assert.Equal(NaiveModel.Id, store.CurrentVersion);
    }

    [Fact]
    public void A_history_line_of_an_earlier_release_reads_with_no_source()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("store"));
        File.WriteAllText(dir.File("store/history"),
            "2026-01-01T00:00:00.0000000Z v1 trained\n" +
            "2026-01-02T00:00:00.0000000Z v2 retired: source=nobody\n" +
            "2026-01-03T00:00:00.0000000Z v1 rollback source=operator\n");
        var store = new ModelStore(dir.File("store"));

        Assert.Equal([("trained", null), ("retired: source=nobody", null), ("rollback", ModelSwitchSource.Operator)],
            store.History().Select(h => (h.Reason, h.Source)));
        Assert.Equal(new ModelSwitch(new DateTime(2026, 1, 3, 0, 0, 0, DateTimeKind.Utc), "v1", "rollback", ModelSwitchSource.Operator), store.LastSwitch());
        Assert.Null(new ModelStore(dir.File("empty")).LastSwitch());
    }
}
