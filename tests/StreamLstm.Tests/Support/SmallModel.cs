using StreamLstm.Features;
using StreamLstm.Learning;
using StreamLstm.Model;

namespace StreamLstm.Tests.Support;

/// <summary>Small, fast settings for tests that need a trained model.</summary>
internal static class SmallModel
{
    /// <summary>A price model (synthetic ticks carry volumes: <c>auto</c> would train a quote model too, twice the time).</summary>
    public static readonly ModelSettings Settings = new ModelSettings { HiddenSize = 16, Layers = 2, Horizons = 2, Window = 40, BurnIn = 10, Warmup = 20 }.WithFeatures(FeatureSets.Price);

    public static readonly TrainingSettings Training = new() { Epochs = 4, BatchSize = 64, Stride = 10, Seed = 1 };

    public static TrainingResult Train(int symbols = 3, int ticks = 600, int seed = 1, double phi = 0, ModelSettings? settings = null, TrainingSettings? training = null)
    {
        var data = SyntheticTicks.Generate(symbols, ticks, seed, phi);
        var s = settings ?? Settings;
        return new ModelTrainer(s, training ?? Training).Train(SymbolSeries.FromTicks(data, s.Warmup));
    }

    public static ModelMetadata Metadata() => new() { Version = "", Source = "test", Symbols = 3, Ticks = 1800 };
}
