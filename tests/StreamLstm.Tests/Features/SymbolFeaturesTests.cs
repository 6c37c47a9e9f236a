using StreamLstm.Features;

namespace StreamLstm.Tests.Features;

public class SymbolFeaturesTests
{
    private static readonly DateTime T0 = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void The_first_tick_has_no_features_and_later_ticks_do()
    {
        var state = new SymbolFeatures();
        var row = new float[SymbolFeatures.Count];
        Assert.False(state.Advance(T0, 100, row));
        Assert.True(state.Advance(T0.AddMinutes(1), 101, row));
        Assert.Equal(101, state.LastPrice);
        Assert.Equal(1, state.Returns);
    }

    [Fact]
    public void Returns_are_scaled_by_the_volatility_known_before_the_tick()
    {
        var state = new SymbolFeatures();
        var row = new float[SymbolFeatures.Count];
        var random = new Random(1);
        double price = 100;
        state.Advance(T0, price, row);
        for (int i = 1; i < 500; i++)
        {
            price *= Math.Exp(0.01 * (random.NextDouble() - 0.5));
            state.Advance(T0.AddMinutes(i), price, row);
        }
        double sigmaBefore = state.Sigma;
        double next = price * Math.Exp(2 * sigmaBefore);
        state.Advance(T0.AddMinutes(500), next, row);
        Assert.Equal(2.0, row[0], 3);
    }

    [Fact]
    public void Extreme_moves_are_clipped()
    {
        var state = new SymbolFeatures();
        var row = new float[SymbolFeatures.Count];
        for (int i = 0; i < 50; i++) state.Advance(T0.AddMinutes(i), 100 + (i % 2) * 0.01, row);
        state.Advance(T0.AddMinutes(50), 1000, row);
        Assert.Equal((float)SymbolFeatures.Clip, row[0]);
        Assert.All(row, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Repeated_timestamps_and_unchanged_prices_give_finite_features()
    {
        var state = new SymbolFeatures();
        var row = new float[SymbolFeatures.Count];
        for (int i = 0; i < 20; i++)
        {
            state.Advance(T0, 100, row);
            Assert.All(row, v => Assert.True(float.IsFinite(v)));
        }
        Assert.True(state.Sigma > 0);
    }
}
