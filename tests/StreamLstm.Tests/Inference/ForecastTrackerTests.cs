using StreamLstm.Inference;

namespace StreamLstm.Tests.Inference;

public class ForecastTrackerTests
{
    private static Forecast Make(double point, double lower, double upper, int horizons = 1)
    {
        var p = Enumerable.Repeat(point, horizons).ToArray();
        return new Forecast(p, Enumerable.Repeat(lower, horizons).ToArray(), Enumerable.Repeat(upper, horizons).ToArray());
    }

    [Fact]
    public void Too_narrow_intervals_widen_until_coverage_tracks_80_percent()
    {
        var tracker = new ForecastTracker(1, new ServingSettings { IntervalLearningRate = 0.05 });
        var random = new Random(1);
        double price = 100;
        int inside = 0, scored = 0;
        for (int t = 0; t < 20000; t++)
        {
            double next = price + 2 * Support.SyntheticTicks.Normal(random);
            tracker.Observe(price);
            // The model's own band is +/- 0.5: far too narrow for moves of sd 2; the tracker scales it.
            double k = tracker.ScaleMultiplier(0);
            var forecast = Make(price, price - 0.5 * k, price + 0.5 * k);
            tracker.Serve(forecast, price);
            if (t >= 10000)
            {
                scored++;
                if (next >= forecast.Lower[0] && next <= forecast.Upper[0]) inside++;
            }
            price = next;
        }
        Assert.InRange((double)inside / scored, 0.78, 0.82);
        Assert.InRange(tracker.ScaleMultiplier(0), 4.0, 7.0); // 1.28 sd of 2 over a half-width of 0.5 is about 5.1
    }

    [Fact]
    public void The_skill_gate_serves_the_last_price_while_the_model_loses_to_it_and_returns_when_it_wins()
    {
        var tracker = new ForecastTracker(1, new ServingSettings { SkillMemory = 20 });
        double price = 100;
        Forecast forecast = Make(0, 0, 0);
        for (int t = 0; t < 200; t++)
        {
            tracker.Observe(price);
            forecast = Make(price + 5, price - 10, price + 10); // the model is always 5 off; prices move by 1
            tracker.Serve(forecast, price);
            price += t % 2 == 0 ? 1 : -1;
        }
        Assert.True(forecast.Naive[0]);
        Assert.Equal(forecast.Point[0], price + (199 % 2 == 0 ? -1 : 1));
        Assert.NotEqual(forecast.Point[0], forecast.ModelPoint[0]);

        for (int t = 0; t < 200; t++)
        {
            double next = price + (t % 2 == 0 ? 1 : -1);
            tracker.Observe(price);
            forecast = Make(next, next - 1, next + 1); // now the model knows the next price
            tracker.Serve(forecast, price);
            price = next;
        }
        Assert.False(forecast.Naive[0]);
        Assert.Equal(forecast.ModelPoint[0], forecast.Point[0]);
    }

    [Fact]
    public void A_forecast_for_h_ticks_ahead_is_judged_against_the_tick_h_later()
    {
        // Prices 0, 1, 2, ...: a horizon-2 model that says "price + 2" is perfect; naive is always 2 off.
        var tracker = new ForecastTracker(2, new ServingSettings { SkillMemory = 5 });
        Forecast forecast = Make(0, 0, 0, 2);
        for (int t = 0; t < 50; t++)
        {
            tracker.Observe(t);
            forecast = new Forecast([t + 5.0, t + 2.0], [t - 9.0, t - 9.0], [t + 9.0, t + 9.0]);
            tracker.Serve(forecast, t);
        }
        Assert.True(forecast.Naive[0]);   // horizon 1: "price + 5" is 4 off, naive only 1 off
        Assert.False(forecast.Naive[1]);  // horizon 2: exact
    }

    [Fact]
    public void Ticks_without_a_forecast_keep_the_horizons_aligned()
    {
        var tracker = new ForecastTracker(2, new ServingSettings { SkillMemory = 5 });
        Forecast forecast = Make(0, 0, 0, 2);
        for (int t = 0; t < 60; t++)
        {
            tracker.Observe(t);
            if (t % 3 == 0)
            {
                tracker.Skip();
                continue;
            }
            forecast = new Forecast([t + 1.0, t + 2.0], [t - 9.0, t - 9.0], [t + 9.0, t + 9.0]);
            tracker.Serve(forecast, t);
        }
        Assert.False(forecast.Naive[0]);
        Assert.False(forecast.Naive[1]);
    }
}
