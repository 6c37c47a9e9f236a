using System.Text.Json.Nodes;
using StreamLstm.Model;
using StreamLstm.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace StreamLstm.Tests.Model;

public class ModelStoreTests
{
    private static (TempDirectory Dir, ModelStore Store, string Id) StoreWithOneVersion()
    {
        var dir = new TempDirectory();
        var store = new ModelStore(dir.File("store"));
        var trained = SmallModel.Train();
        var id = store.Add(trained.Network, trained.Calibration, SmallModel.Metadata());
        trained.Network.Dispose();
        return (dir, store, id);
    }

    private static string VersionFile(ModelStore store, string id, string file) => Path.Combine(store.Directory, "versions", id, file);

    [Fact]
    public void A_trained_version_round_trips_with_identical_outputs_and_becomes_current()
    {
        using var dir = new TempDirectory();
        var store = new ModelStore(dir.File("store"));
        var trained = SmallModel.Train();
        var id = store.Add(trained.Network, trained.Calibration, SmallModel.Metadata());
        Assert.Equal("v1", id);
        Assert.Equal("v1", store.CurrentVersion);

        using var loaded = store.LoadCurrent();
        Assert.Equal(trained.Calibration.Shrink, loaded.Calibration.Shrink);
        Assert.Equal(trained.Calibration.IntervalScale, loaded.Calibration.IntervalScale);
        // Model:Features auto was resolved in training: synthetic prices carry no quotes, so a price model.
        Assert.Equal(SmallModel.Settings.WithFeatures(StreamLstm.Features.FeatureSets.Price), loaded.Settings);
        Assert.Equal("test", loaded.Metadata.Source);
        Assert.Contains("torchsharp", loaded.Metadata.Libraries.Keys);

        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var x = torch.randn(2, 30, 4);
        trained.Network.eval();
        var a = trained.Network.forward(x).data<float>().ToArray();
        var b = loaded.Network.forward(x).data<float>().ToArray();
        Assert.Equal(a, b);
        trained.Network.Dispose();

        var second = SmallModel.Train(seed: 2);
        Assert.Equal("v2", store.Add(second.Network, second.Calibration, SmallModel.Metadata()));
        second.Network.Dispose();
        Assert.Equal(["v1", "v2"], store.Versions());
        Assert.Equal("v2", store.CurrentVersion);
    }

    [Fact]
    public void A_version_stored_before_model_features_existed_loads_as_a_price_model()
    {
        var (dir, store, id) = StoreWithOneVersion();
        using var _ = dir;
        var path = VersionFile(store, id, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        var model = config["model"]!.AsObject();
        var key = model.Select(p => p.Key).Single(k => k.Equals("features", StringComparison.OrdinalIgnoreCase));
        model.Remove(key);
        File.WriteAllText(path, config.ToJsonString());

        using var loaded = store.LoadCurrent();
        Assert.Equal(StreamLstm.Features.FeatureSets.Price, loaded.Settings.Features);
        Assert.Equal(StreamLstm.Features.SymbolFeatures.PriceCount, loaded.Settings.InputSize);
    }

    [Fact]
    public void A_corrupt_weights_file_is_refused()
    {
        var (dir, store, id) = StoreWithOneVersion();
        using var _ = dir;
        var path = VersionFile(store, id, "weights.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<ModelStoreException>(() => store.LoadCurrent());
        Assert.Equal($"model version 'v1': weights.bin does not match its SHA-256 in metadata.json (corrupt)", ex.Message);
    }

    [Fact]
    public void A_truncated_weights_file_is_refused()
    {
        var (dir, store, id) = StoreWithOneVersion();
        using var _ = dir;
        var path = VersionFile(store, id, "weights.bin");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var ex = Assert.Throws<ModelStoreException>(() => store.LoadCurrent());
        Assert.Contains("(truncated or replaced)", ex.Message);
        Assert.DoesNotContain("\n", ex.Message);
    }

    [Fact]
    public void Weights_that_do_not_fit_the_configured_shape_are_refused()
    {
        var (dir, store, id) = StoreWithOneVersion();
        using var _ = dir;
        var path = VersionFile(store, id, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["model"]!["hidden_size"] = 24;
        File.WriteAllText(path, json.ToJsonString());
        var ex = Assert.Throws<ModelStoreException>(() => store.LoadCurrent());
        Assert.StartsWith("model version 'v1': weights.bin does not fit the shape in config.json", ex.Message);
        Assert.DoesNotContain("\n", ex.Message);
    }

    [Fact]
    public void Metadata_of_another_version_is_refused_as_mismatched()
    {
        var (dir, store, id) = StoreWithOneVersion();
        using var _ = dir;
        var path = VersionFile(store, id, "metadata.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"version\": \"v1\"", "\"version\": \"v7\""));
        var ex = Assert.Throws<ModelStoreException>(() => store.LoadCurrent());
        Assert.Equal("model version 'v1': metadata.json says it is version 'v7' (mismatched)", ex.Message);
    }

    [Theory]
    [InlineData("config.json", "{ not json", "model version 'v1': config.json is not valid:")]
    [InlineData("config.json", "{\"model\":{\"hidden_size\":0},\"calibration\":{\"shrink\":[1,1],\"interval_scale\":[1,1]}}", "model version 'v1': config.json is invalid:")]
    [InlineData("config.json", "{\"model\":{\"horizons\":2},\"calibration\":{\"shrink\":[1],\"interval_scale\":[1]}}", "model version 'v1': config.json calibration does not have 2 horizons")]
    [InlineData("metadata.json", "", "model version 'v1': metadata.json is not valid:")]
    public void Unreadable_configuration_or_metadata_is_refused_with_the_file_named(string file, string content, string message)
    {
        var (dir, store, id) = StoreWithOneVersion();
        using var _ = dir;
        File.WriteAllText(VersionFile(store, id, file), content);
        var ex = Assert.Throws<ModelStoreException>(() => store.LoadCurrent());
        Assert.StartsWith(message, ex.Message);
    }

    [Fact]
    public void Missing_files_and_stores_are_named()
    {
        var (dir, store, id) = StoreWithOneVersion();
        using var _ = dir;
        File.Delete(VersionFile(store, id, "weights.bin"));
        Assert.Equal($"model version 'v1' in '{store.Directory}' has no weights.bin", Assert.Throws<ModelStoreException>(() => store.LoadCurrent()).Message);

        var missing = new ModelStore(dir.File("nowhere"));
        Assert.Equal($"model store '{missing.Directory}' does not exist", Assert.Throws<ModelStoreException>(() => missing.LoadCurrent()).Message);

        Directory.CreateDirectory(dir.File("empty"));
        var empty = new ModelStore(dir.File("empty"));
        Assert.Contains("has no current version", Assert.Throws<ModelStoreException>(() => empty.LoadCurrent()).Message);

        File.WriteAllText(Path.Combine(store.Directory, "current"), "v9\n");
        Assert.Equal($"model store '{store.Directory}' has no version 'v9'", Assert.Throws<ModelStoreException>(() => store.LoadCurrent()).Message);
    }

    [Fact]
    public void Pruning_keeps_the_newest_versions_the_current_one_and_the_rollback_target()
    {
        using var dir = new TempDirectory();
        var store = new ModelStore(dir.File("store"));
        var trained = SmallModel.Train(ticks: 300);
        for (int i = 0; i < 6; i++) store.Add(trained.Network, trained.Calibration, SmallModel.Metadata(), makeCurrent: i < 3);
        trained.Network.Dispose();
        // v3 is current, v2 the rollback target; v4..v6 were added without becoming current.
        Assert.Equal(["v1", "v4"], store.Prune(keep: 2));
        Assert.Equal(["v2", "v3", "v5", "v6"], store.Versions());
        Assert.Equal("v3", store.CurrentVersion);
        Assert.Equal("v2", store.Rollback());
        using var loaded = store.LoadCurrent();
        Assert.Equal("v2", loaded.Id);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Prune(0));
    }

    [Fact]
    public void A_leftover_staging_folder_from_a_crash_is_not_a_version()
    {
        var (dir, store, _) = StoreWithOneVersion();
        using var __ = dir;
        Directory.CreateDirectory(Path.Combine(store.Directory, "versions", ".staging-deadbeef"));
        Assert.Equal(["v1"], store.Versions());
        using var loaded = store.LoadCurrent();
        Assert.Equal("v1", loaded.Id);
    }

    [Fact]
    public void Naive_can_be_made_current_in_place_of_a_model_and_rolled_back_from()
    {
        var (dir, store, id) = StoreWithOneVersion();
        using (dir)
        {
            store.SetCurrent(NaiveModel.Id, "retired");
            Assert.Equal(NaiveModel.Id, store.CurrentVersion);
            Assert.Equal([id], store.Versions());
            var ex = Assert.Throws<ModelStoreException>(() => store.LoadCurrent());
            Assert.Contains("current version is 'naive'", ex.Message);
            Assert.Equal(id, store.Rollback());
            using var back = store.LoadCurrent();
            Assert.Equal(id, back.Id);
        }
    }
}
