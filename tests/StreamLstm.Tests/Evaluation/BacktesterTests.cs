using System.Globalization;
using System.Text.Json;
using StreamLstm.Evaluation;
using StreamLstm.Inference;
using StreamLstm.Model;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;

namespace StreamLstm.Tests.Evaluation;

public class BacktesterTests(BacktesterTests.TrainedModel trained) : IClassFixture<BacktesterTests.TrainedModel>
{
    /// <summary>One small model trained for all the tests here.</summary>
    public sealed class TrainedModel : IDisposable
    {
        public TrainedModel()
        {
            var result = SmallModel.Train();
            Model = new ModelVersion(result.Network, new ModelConfiguration(SmallModel.Settings, result.Calibration), SmallModel.Metadata() with { Version = "v1" });
        }

        public ModelVersion Model { get; }

        public void Dispose() => Model.Dispose();
    }

    private static readonly string[] ScoreKeys =
        ["n", "mae", "rmse", "naive_mae", "rel_mae", "directional_accuracy", "coverage80", "interval_width", "interval_score", "pinball_10", "pinball_50", "pinball_90"];

    [Fact]
    public void Scores_only_the_last_part_of_each_symbol_and_lists_short_symbols_as_skipped()
    {
        var ticks = SyntheticTicks.Generate(2, 300, seed: 21);
        ticks.AddRange(SyntheticTicks.Generate(1, 10, seed: 22).Select(t => t with { Symbol = "SHORT" }));

        var result = Backtester.Run(ticks, trained.Model, horizon: 2, trainFraction: 0.7);

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
        foreach (var key in ScoreKeys)
        {
            Assert.True(root.GetProperty("overall").TryGetProperty(key, out _), key);
            Assert.True(root.GetProperty("symbols")[0].TryGetProperty(key, out _), key);
        }
        Assert.Equal("S0", root.GetProperty("symbols")[0].GetProperty("symbol").GetString());
        Assert.Equal("SHORT", root.GetProperty("skipped")[0].GetString());
    }

    [Fact]
    public void Metrics_json_has_the_naive_and_garch_baselines_and_the_models_interval_score_ratios()
    {
        var result = Backtester.Run(SyntheticTicks.Generate(2, 300, seed: 23), trained.Model, horizon: 1, trainFraction: 0.7);

        using var dir = new TempDirectory();
        MetricsReport.Write(result, dir.File("metrics.json"));
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("metrics.json")));
        var root = json.RootElement;
        var overall = root.GetProperty("overall");
        foreach (var name in new[] { "naive", "garch" })
        {
            var baseline = root.GetProperty("baselines").GetProperty(name).GetProperty("overall");
            Assert.Equal(ScoreKeys, baseline.EnumerateObject().Select(p => p.Name));
            // The same points as the model's.
            Assert.Equal(overall.GetProperty("n").GetInt32(), baseline.GetProperty("n").GetInt32());
            Assert.Equal(overall.GetProperty("interval_score").GetDouble() / baseline.GetProperty("interval_score").GetDouble(),
                overall.GetProperty($"interval_score_vs_{name}").GetDouble(), 1e-15);
        }
        Assert.Equal(result.IntervalScoreVsNaive, overall.GetProperty("interval_score_vs_naive").GetDouble());
        Assert.Equal(result.IntervalScoreVsGarch, overall.GetProperty("interval_score_vs_garch").GetDouble());
        // Kept as it was.
        Assert.Equal(["coverage80", "interval_width", "interval_score"], root.GetProperty("baseline_rolling_vol").EnumerateObject().Select(p => p.Name));
        // Calibrated online from the first tick, both baselines cover about 80% of a GARCH-like series.
        Assert.InRange(result.Naive.Coverage80, 0.65, 0.95);
        Assert.InRange(result.Garch.Coverage80, 0.65, 0.95);
    }

    [Fact]
    public void The_naive_baseline_is_the_last_price_so_its_rel_mae_is_exactly_one()
    {
        var result = Backtester.Run(SyntheticTicks.Generate(3, 300, seed: 24), trained.Model, horizon: 2, trainFraction: 0.6);

        Assert.True(result.Naive.N > 300);
        Assert.Equal(1.0, result.Naive.RelMae);
        Assert.Equal(result.Naive.NaiveMae, result.Naive.Mae);
    }

    [Fact]
    public void Changing_the_ticks_after_k_changes_no_forecast_or_baseline_band_made_before_k()
    {
        const int k = 250, horizon = 2;
        var ticks = SyntheticTicks.Generate(2, 300, seed: 25);
        var s0 = ticks.Where(t => t.Symbol == "S0").ToList();
        var cut = s0[k].Timestamp;
        var random = new Random(26);
        // S0's prices from its tick k on take another path (the count, and so the split, stay the same).
        var changed = ticks.Select(t => t.Symbol == "S0" && t.Timestamp >= cut ? t with { Price = t.Price * Math.Exp(0.05 * SyntheticTicks.Normal(random)) } : t).ToList();

        var before = Backtester.Run(ticks, trained.Model, horizon, trainFraction: 0.7);
        var after = Backtester.Run(changed, trained.Model, horizon, trainFraction: 0.7);

        static object Made(ScoredPoint p) => (p.MadeAt, p.Last, p.Point, p.Lower, p.Upper, p.ServedBy, p.NaiveLower, p.NaiveUpper, p.GarchLower, p.GarchUpper);
        var early = before.Symbols[0].Points.Where(p => p.MadeAt < cut).ToList();
        Assert.Equal(k - 210, early.Count);
        Assert.Equal(early.Select(Made), after.Symbols[0].Points.Where(p => p.MadeAt < cut).Select(Made));
        Assert.Equal(before.Symbols[0].Garch, after.Symbols[0].Garch);
        // The other symbol is untouched throughout, and from k on S0's forecasts and bands did change.
        Assert.Equal(before.Symbols[1].Points, after.Symbols[1].Points);
        var late = before.Symbols[0].Points.Where(p => p.MadeAt >= cut).Zip(after.Symbols[0].Points.Where(p => p.MadeAt >= cut)).ToList();
        Assert.NotEmpty(late);
        Assert.All(late, pair => Assert.True(pair.First.Point != pair.Second.Point && pair.First.Lower != pair.Second.Lower
            && pair.First.NaiveUpper != pair.Second.NaiveUpper && pair.First.GarchUpper != pair.Second.GarchUpper));
    }

    [Fact]
    public void Forecasts_csv_gives_back_the_figures_of_metrics_json()
    {
        var result = Backtester.Run(SyntheticTicks.Generate(2, 300, seed: 27), trained.Model, horizon: 2, trainFraction: 0.7);
        using var dir = new TempDirectory();
        MetricsReport.Write(result, dir.File("metrics.json"));
        ForecastsCsv.Write(result, dir.File("forecasts.csv"));

        var lines = File.ReadAllLines(dir.File("forecasts.csv"));
        Assert.Equal("symbol,ts,target_ts,horizon,last,forecast,lower,upper,actual,model,garch_lower,garch_upper", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        double Number(string[] row, int column) => double.Parse(row[column], NumberStyles.Float, CultureInfo.InvariantCulture);
        var points = rows.Select(r => (Last: Number(r, 4), Point: Number(r, 5), Lower: Number(r, 6), Upper: Number(r, 7), Actual: Number(r, 8),
            GarchLower: Number(r, 10), GarchUpper: Number(r, 11))).ToList();

        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("metrics.json")));
        var overall = json.RootElement.GetProperty("overall");
        var garch = json.RootElement.GetProperty("baselines").GetProperty("garch").GetProperty("overall");
        static void Close(double expected, JsonElement block, string key) => Assert.Equal(expected, block.GetProperty(key).GetDouble(), 1e-12 * Math.Abs(expected));
        Assert.Equal(overall.GetProperty("n").GetInt32(), rows.Count);
        Close(points.Average(p => Math.Abs(p.Point - p.Actual)), overall, "mae");
        Close(points.Average(p => p.Actual >= p.Lower && p.Actual <= p.Upper ? 1.0 : 0.0), overall, "coverage80");
        Close(points.Average(p => ForecastScore.IntervalScoreOf(p.Lower, p.Upper, p.Actual) / p.Last), overall, "interval_score");
        Close(points.Average(p => ForecastScore.IntervalScoreOf(p.GarchLower, p.GarchUpper, p.Actual) / p.Last), garch, "interval_score");
        Close(points.Average(p => p.Actual >= p.GarchLower && p.Actual <= p.GarchUpper ? 1.0 : 0.0), garch, "coverage80");

        // ts is the tick the forecast was made at, target_ts the one two ticks (minutes) later; the model that served it.
        Assert.All(rows, r => Assert.Equal(DateTime.Parse(r[1], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal).AddMinutes(2),
            DateTime.Parse(r[2], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", rows[0][1]);
        Assert.All(rows, r => Assert.Equal("2", r[3]));
        Assert.All(rows, r => Assert.Contains(r[9], new[] { "v1", "naive" }));
        Assert.Equal(result.Symbols.SelectMany(s => s.Points).Count(p => p.ServedBy == "naive"), rows.Count(r => r[9] == "naive"));
    }
}
