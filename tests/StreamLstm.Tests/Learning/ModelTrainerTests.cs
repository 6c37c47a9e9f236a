using System.Diagnostics;
using StreamLstm.Evaluation;
using StreamLstm.Features;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;

namespace StreamLstm.Tests.Learning;

public class ModelTrainerTests
{
    [Fact]
    public void The_same_seed_and_data_give_the_same_model()
    {
        var a = SmallModel.Train(seed: 3);
        var b = SmallModel.Train(seed: 3);
        var wa = a.Network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        var wb = b.Network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        Assert.Equal(wa, wb);
        Assert.Equal(a.Calibration.Shrink, b.Calibration.Shrink);
        Assert.Equal(a.Validation.Loss, b.Validation.Loss);
        a.Network.Dispose();
        b.Network.Dispose();
    }

    /// <summary>
    /// Quote ticks whose next move follows where the price sat in the spread (as a trade at the ask often precedes a
    /// rise): visible to a quote model's features, all but hidden from a price model, as the spread is a tenth of a move.
    /// </summary>
    private static List<Tick> QuotesThatPredict(int symbols, int perSymbol, int seed)
    {
        var random = new Random(seed);
        var ticks = new List<Tick>();
        var mids = Enumerable.Repeat(100.0, symbols).ToArray();
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (int t = 0; t < perSymbol; t++)
        {
            for (int k = 0; k < symbols; k++)
            {
                double position = 2 * random.NextDouble() - 1, half = mids[k] * 0.0001;
                double price = mids[k] + position * half;
                ticks.Add(new Tick($"Q{k}", start.AddMinutes(t), Math.Round(price, 6), 1000, Math.Round(mids[k] - half, 6), Math.Round(mids[k] + half, 6)));
                double noise = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                mids[k] *= Math.Exp(0.001 * (0.8 * position + 0.4 * noise));
            }
        }
        return ticks;
    }

    [Fact]
    public void With_features_auto_a_quote_model_is_kept_where_the_quotes_predict_better_on_the_validation_split()
    {
        var ticks = QuotesThatPredict(3, 1200, seed: 8);
        var training = SmallModel.Training with { Epochs = 15, Stride = 2 };
        var auto = new ModelTrainer(SmallModel.Settings with { Features = FeatureSets.Auto }, training).Train(SymbolSeries.FromTicks(ticks, SmallModel.Settings.Warmup));
        var price = new ModelTrainer(SmallModel.Settings.WithFeatures(FeatureSets.Price), training).Train(SymbolSeries.FromTicks(ticks, SmallModel.Settings.Warmup));
        try
        {
            Assert.True(auto.Network.Settings.Features == FeatureSets.Quote, auto.FeatureChoice);
            Assert.Equal(SymbolFeatures.Count, auto.Network.Settings.InputSize);
            Assert.True(auto.Validation.Loss < price.Validation.Loss, $"{auto.Validation.Loss} vs price {price.Validation.Loss}");
            Assert.StartsWith("quote: validation loss", auto.FeatureChoice);
            Assert.Contains("100% of the steps carry a quote or a volume", auto.FeatureChoice);
            Assert.Null(price.FeatureChoice);
        }
        finally
        {
            auto.Network.Dispose();
            price.Network.Dispose();
        }
    }

    [Fact]
    public void With_features_auto_ticks_without_quotes_or_volumes_train_a_price_model_only()
    {
        var ticks = SyntheticTicks.Generate(3, 600, seed: 9).Select(t => t with { Volume = null }).ToList();
        var result = new ModelTrainer(SmallModel.Settings with { Features = FeatureSets.Auto }, SmallModel.Training)
            .Train(SymbolSeries.FromTicks(ticks, SmallModel.Settings.Warmup));
        Assert.Equal(FeatureSets.Price, result.Network.Settings.Features);
        Assert.Equal(SymbolFeatures.PriceCount, result.Network.Settings.InputSize);
        Assert.Equal("price: 0% of the steps carry a quote or a volume, under half", result.FeatureChoice);
        result.Network.Dispose();
    }

    [Fact]
    public void Training_never_sees_the_validation_tail()
    {
        var ticks = SyntheticTicks.Generate(2, 600, seed: 4);
        // Same training part, different validation tail (the last 15% of each symbol's steps).
        var altered = ticks.Select((t, i) => i >= 2 * 560 ? t with { Price = t.Price * 1.3 } : t).ToList();
        var training = SmallModel.Training with { Epochs = 2 };
        var first = Reports(ticks, training);
        var second = Reports(altered, training);
        Assert.Equal(first.Select(r => r.TrainLoss), second.Select(r => r.TrainLoss));
        Assert.NotEqual(first[0].ValidationLoss, second[0].ValidationLoss);
    }

    [Fact]
    public void It_learns_a_predictable_signal_and_trusts_it()
    {
        var result = SmallModel.Train(symbols: 4, ticks: 1500, seed: 5, phi: 0.6,
            training: SmallModel.Training with { Epochs = 15 });
        Assert.True(result.Validation.RelMae[0] < 0.9, $"validation rel_mae {result.Validation.RelMae[0]:F3}");
        Assert.True(result.Calibration.Shrink[0] >= 0.5, $"shrink {result.Calibration.Shrink[0]}");
        result.Network.Dispose();
    }

    [Fact]
    public void On_a_random_walk_it_does_not_lose_to_the_naive_forecast_out_of_sample()
    {
        var ticks = SyntheticTicks.Generate(4, 1500, seed: 6, phi: 0);
        var settings = SmallModel.Settings;
        var result = new ModelTrainer(settings, SmallModel.Training with { Epochs = 6 })
            .Train(Backtester.TrainingSeries(ticks, 0.7, settings.Warmup));
        using var model = new ModelVersion(result.Network, new ModelConfiguration(settings, result.Calibration), SmallModel.Metadata() with { Version = "v1" });
        var backtest = Backtester.Run(ticks, model, 1, 0.7);
        Assert.True(backtest.Overall.RelMae <= 1.005, $"rel_mae {backtest.Overall.RelMae:F4}");
        Assert.InRange(backtest.Overall.Coverage80, 0.72, 0.88);
    }

    [Fact]
    public void Calibrated_intervals_cover_about_80_percent_of_validation_actuals()
    {
        var result = SmallModel.Train(symbols: 4, ticks: 1500, seed: 7, training: SmallModel.Training with { Epochs = 6 });
        Assert.All(result.Validation.Coverage80, c => Assert.InRange(c, 0.78, 0.85));
        result.Network.Dispose();
    }

    [Fact]
    public void Early_stopping_ends_training_when_validation_stops_improving()
    {
        var reports = Reports(SyntheticTicks.Generate(2, 600, seed: 8), SmallModel.Training with { Epochs = 200, Patience = 2 });
        Assert.True(reports.Count < 200, $"{reports.Count} epochs");
        int best = reports.FindIndex(r => r.ValidationLoss == reports[^1].BestValidationLoss);
        Assert.Equal(reports.Count - 1 - 2, best);
    }

    [Fact]
    public void Too_little_data_is_refused_with_the_minimum_named()
    {
        var ticks = SyntheticTicks.Generate(2, 30, seed: 9);
        var ex = Assert.Throws<InvalidOperationException>(() =>
            new ModelTrainer(SmallModel.Settings, SmallModel.Training).Train(SymbolSeries.FromTicks(ticks, 20)));
        Assert.StartsWith("too little data to train: each symbol needs at least", ex.Message);
    }

    [Fact]
    public void Native_memory_stays_flat_across_epochs()
    {
        var ticks = SyntheticTicks.Generate(4, 2000, seed: 10);
        var settings = new ModelSettings { HiddenSize = 64, Layers = 2, Horizons = 3 }.WithFeatures(FeatureSets.Price);
        var rss = new List<long>();
        var progress = new Recorder(_ =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            rss.Add(process.WorkingSet64);
        });
        var result = new ModelTrainer(settings, new TrainingSettings { Epochs = 20, Patience = 1000, Stride = 5, Seed = 1 })
            .Train(SymbolSeries.FromTicks(ticks, settings.Warmup), progress);
        result.Network.Dispose();
        Assert.Equal(20, rss.Count);
        double growth = (double)(rss[^1] - rss[1]) / rss[1];
        Assert.True(growth < 0.10, $"resident memory grew {growth:P1} from epoch 2 ({rss[1] >> 20} MB) to 20 ({rss[^1] >> 20} MB)");
    }

    private static List<EpochReport> Reports(List<Tick> ticks, TrainingSettings training)
    {
        var reports = new List<EpochReport>();
        var result = new ModelTrainer(SmallModel.Settings, training)
            .Train(SymbolSeries.FromTicks(ticks, SmallModel.Settings.Warmup), new Recorder(reports.Add));
        result.Network.Dispose();
        return reports;
    }

    private sealed class Recorder(Action<EpochReport> onReport) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => onReport(value);
    }
}
