using StreamLstm.Features;
using StreamLstm.Inference;
using StreamLstm.Model;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;
using TorchSharp;

namespace StreamLstm.Tests.Features;

public class NoLookAheadTests
{
    [Fact]
    public void Changing_future_ticks_changes_no_past_feature()
    {
        var ticks = SyntheticTicks.Generate(1, 400, seed: 1);
        var altered = ticks.Select((t, i) => i >= 250 ? t with { Price = t.Price * (1 + 0.05 * Math.Sin(i)), Timestamp = t.Timestamp.AddSeconds(i) } : t).ToList();

        var original = Features(ticks);
        var changed = Features(altered);
        for (int i = 0; i < 249; i++) Assert.Equal(original[i], changed[i]);
        Assert.NotEqual(original[300], changed[300]);
    }

    [Fact]
    public void Changing_future_ticks_changes_no_past_forecast()
    {
        torch.manual_seed(4);
        var settings = new ModelSettings { HiddenSize = 16, Layers = 2, Horizons = 3, Warmup = 10 };
        var ticks = SyntheticTicks.Generate(3, 200, seed: 2);
        var altered = ticks.Select((t, i) => i >= 450 ? t with { Price = t.Price * 1.2 } : t).ToList();
        using var network = new LstmForecaster(settings);
        var meta = new ModelMetadata { Version = "v1" };
        using var model = new ModelVersion(network, new ModelConfiguration(settings, Calibration.Identity(3)), meta);

        var original = Forecasts(model, ticks);
        var changed = Forecasts(model, altered);
        int compared = 0;
        for (int i = 0; i < 450; i++)
        {
            Assert.Equal(original[i]?.Point, changed[i]?.Point);
            Assert.Equal(original[i]?.Lower, changed[i]?.Lower);
            Assert.Equal(original[i]?.Upper, changed[i]?.Upper);
            if (original[i] is not null) compared++;
        }
        Assert.True(compared > 300);
        Assert.NotEqual(original[500]!.Point, changed[500]!.Point);
    }

    private static List<string> Features(List<Tick> ticks)
    {
        var state = new SymbolFeatures();
        var row = new float[SymbolFeatures.Count];
        var result = new List<string>();
        foreach (var t in ticks)
        {
            if (state.Advance(t.Timestamp, t.Price, row))
                result.Add(string.Join(",", row.Select(v => v.ToString("R"))) + $"|{state.Sigma:R}");
        }
        return result;
    }

    private static List<Forecast?> Forecasts(ModelVersion model, List<Tick> ticks)
    {
        var forecaster = new BatchForecaster(model);
        var states = new Dictionary<string, SymbolState>();
        var result = new List<Forecast?>();
        var one = new Forecast?[1];
        foreach (var t in ticks)
        {
            if (!states.TryGetValue(t.Symbol, out var state))
                states[t.Symbol] = state = new SymbolState(t.Symbol, model.Settings, new ServingSettings());
            forecaster.Advance([state], [t], one);
            result.Add(one[0]?.Snapshot());
        }
        return result;
    }
}
