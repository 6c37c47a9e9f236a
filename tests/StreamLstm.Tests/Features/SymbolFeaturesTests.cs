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

    [Fact]
    public void Without_quotes_or_volumes_the_quote_features_are_zero_and_the_price_features_are_those_of_a_quote_feed()
    {
        var plain = new SymbolFeatures();
        var quoted = new SymbolFeatures();
        var (a, b) = (new float[SymbolFeatures.Count], new float[SymbolFeatures.Count]);
        var random = new Random(2);
        double price = 100;
        for (int i = 0; i < 200; i++)
        {
            price *= Math.Exp(0.002 * (random.NextDouble() - 0.5));
            double spread = 0.01 * (1 + random.NextDouble());
            var time = T0.AddSeconds(i * 30 + random.Next(30));
            bool ta = plain.Advance(time, price, a), tb = quoted.Advance(time, price, b, volume: 1000 + random.Next(500), bid: price - spread, ask: price + spread);
            Assert.Equal(ta, tb);
            if (!ta) continue;
            // The price features do not depend on the quote; a price model reads the same inputs either way.
            Assert.Equal(a[..SymbolFeatures.PriceCount], b[..SymbolFeatures.PriceCount]);
            Assert.Equal([0f, 0f, 0f, 0f], a[4..8]);
            Assert.All(b, v => Assert.True(float.IsFinite(v) && Math.Abs(v) <= SymbolFeatures.Clip));
        }
        Assert.Contains(b[4..8], v => v != 0);
    }

    [Fact]
    public void The_quote_features_measure_the_spread_the_mid_and_the_price_within_the_spread()
    {
        var state = new SymbolFeatures();
        var row = new float[SymbolFeatures.Count];
        // A steady spread of 0.02 around a mid that drifts, the price at the mid.
        for (int i = 0; i < 100; i++)
        {
            double mid = 100 + 0.01 * (i % 3);
            state.Advance(T0.AddMinutes(i), mid, row, bid: mid - 0.01 - 0.001 * (i % 2), ask: mid + 0.01 + 0.001 * (i % 2));
        }
        Assert.Equal(0f, row[6], 5); // at the mid
        // A spread twice as wide stands out; a price at the ask sits at +1; the mid's move is the price's, scaled alike.
        double sigma = state.Sigma;
        state.Advance(T0.AddMinutes(100), 100.04, row, bid: 100.0, ask: 100.04);
        Assert.True(row[4] > 3, $"spread feature {row[4]}");
        Assert.Equal(1f, row[6], 5);
        Assert.Equal(Math.Clamp(Math.Log(100.02 / 100.0) / sigma, -SymbolFeatures.Clip, SymbolFeatures.Clip), row[5], 3);
    }

    [Fact]
    public void A_burst_of_ticks_raises_the_tick_intensity_and_a_large_volume_stands_out()
    {
        var state = new SymbolFeatures();
        var row = new float[SymbolFeatures.Count];
        double price = 100;
        for (int i = 0; i < 200; i++) state.Advance(T0.AddMinutes(i), price += 0.01 * (i % 2 == 0 ? 1 : -1), row, volume: 1000 + 10 * (i % 5));
        Assert.InRange(row[8], -0.5f, 0.5f);
        var t = T0.AddMinutes(200);
        for (int i = 0; i < 10; i++) state.Advance(t = t.AddSeconds(1), price += 0.01 * (i % 2 == 0 ? 1 : -1), row, volume: 1000);
        Assert.True(row[8] > 1, $"tick intensity {row[8]}");
        state.Advance(t.AddSeconds(1), price, row, volume: 100_000);
        Assert.True(row[7] > 3, $"volume feature {row[7]}");
    }

    [Fact]
    public void Room_for_every_feature_is_required()
    {
        var state = new SymbolFeatures();
        Assert.Throws<ArgumentException>(() => state.Advance(T0, 100, new float[SymbolFeatures.PriceCount]));
    }
}
