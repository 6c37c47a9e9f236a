using System.Text.Json;
using StreamLstm.Evaluation;
using StreamLstm.Model;
using StreamLstm.Tests.Support;

namespace StreamLstm.Tests.Evaluation;

public class BacktesterTests
{
    [Fact]
    public void Scores_only_the_last_part_of_each_symbol_and_lists_short_symbols_as_skipped()
    {
        var trained = SmallModel.Train();
        using var model = new ModelVersion(trained.Network, new ModelConfiguration(SmallModel.Settings, trained.Calibration), SmallModel.Metadata() with { Version = "v1" });
        var ticks = SyntheticTicks.Generate(2, 300, seed: 21);
        ticks.AddRange(SyntheticTicks.Generate(1, 10, seed: 22).Select(t => t with { Symbol = "SHORT" }));

        var result = Backtester.Run(ticks, model, horizon: 2, trainFraction: 0.7);

        Assert.Equal(["SHORT"], result.Skipped);
        Assert.Equal(2, result.Symbols.Count);
        // Forecasts made at ticks 210..297 are scored against the tick two later.
        Assert.All(result.Symbols, s => Assert.Equal(300 - 210 - 2, s.Score.N));
        Assert.Equal(2 * 88, result.Overall.N);

        using var dir = new TempDirectory();
        MetricsReport.Write(result, dir.File("metrics.json"));
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("metrics.json")));
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("horizon").GetInt32());
        foreach (var key in new[] { "n", "mae", "rmse", "naive_mae", "rel_mae", "directional_accuracy", "coverage80", "interval_width", "interval_score", "pinball_10", "pinball_50", "pinball_90" })
        {
            Assert.True(root.GetProperty("overall").TryGetProperty(key, out _), key);
            Assert.True(root.GetProperty("symbols")[0].TryGetProperty(key, out _), key);
        }
        Assert.Equal("S0", root.GetProperty("symbols")[0].GetProperty("symbol").GetString());
        Assert.Equal("SHORT", root.GetProperty("skipped")[0].GetString());
    }
}
