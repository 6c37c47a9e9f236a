using StreamLstm.Inference;
using StreamLstm.Model;
using StreamLstm.Ticks;

namespace StreamLstm.Tests.Model;

public class NaiveModelTests
{
    [Fact]
    public void The_naive_model_forecasts_the_last_price_with_an_interval_from_recent_volatility_tagged_naive()
    {
        var settings = new ModelSettings { HiddenSize = 8, Layers = 1, Horizons = 2, Warmup = 10 };
        using var model = NaiveModel.Create(settings);
        Assert.True(NaiveModel.Is(model));
        var forecaster = new BatchForecaster(model);
        var state = new SymbolState("X", settings, new ServingSettings { IntervalLearningRate = 0 });
        var forecasts = new Forecast?[1];
        Forecast? last = null;
        foreach (var tick in Support.SyntheticTicks.Generate(1, 200, seed: 2))
        {
            forecaster.Advance([state], [tick], forecasts);
            if (forecasts[0] is not { } f) continue;
            Assert.Equal(tick.Price, f.Point[0], 12);
            Assert.Equal(tick.Price, f.Point[1], 12);
            // +/- 1.2816 sigma sqrt(h) on the log scale
            double sigma = state.Features.Sigma;
            Assert.Equal(tick.Price * Math.Exp(1.2815515655446004 * sigma), f.Upper[0], 9);
            Assert.Equal(tick.Price * Math.Exp(-1.2815515655446004 * sigma * Math.Sqrt(2)), f.Lower[1], 9);
            last = f;
        }
        Assert.NotNull(last);
    }
}
