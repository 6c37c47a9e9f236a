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
}
