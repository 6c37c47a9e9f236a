using StreamLstm.Learning;

namespace StreamLstm.Tests.Learning;

public class PageHinkleyTests
{
    [Fact]
    public void A_stationary_stream_raises_no_signal()
    {
        var test = new PageHinkley(delta: 0.1, threshold: 100);
        var random = new Random(3);
        int signals = 0;
        for (int i = 0; i < 100_000; i++)
            if (test.Add(Support.SyntheticTicks.Normal(random))) signals++;
        Assert.Equal(0, signals);
    }

    [Fact]
    public void A_rise_of_the_mean_is_signalled_soon_after_it_happens_and_the_test_starts_over()
    {
        var test = new PageHinkley(delta: 0.1, threshold: 100);
        var random = new Random(4);
        for (int i = 0; i < 5_000; i++) Assert.False(test.Add(Support.SyntheticTicks.Normal(random)));
        int detectedAfter = -1;
        for (int i = 0; i < 5_000; i++)
        {
            if (!test.Add(1.0 + Support.SyntheticTicks.Normal(random))) continue;
            detectedAfter = i;
            break;
        }
        // An excess of about 0.9 per sample over a threshold of 100: some 100-150 samples.
        Assert.InRange(detectedAfter, 60, 300);
        Assert.Equal(0, test.Samples);
    }

    [Fact]
    public void A_fall_of_the_mean_is_not_a_signal()
    {
        var test = new PageHinkley(delta: 0.1, threshold: 100);
        var random = new Random(5);
        for (int i = 0; i < 2_000; i++) test.Add(Support.SyntheticTicks.Normal(random));
        for (int i = 0; i < 20_000; i++) Assert.False(test.Add(-2 + Support.SyntheticTicks.Normal(random)));
    }

    [Fact]
    public void Non_finite_samples_are_ignored()
    {
        var test = new PageHinkley(0.05, 1, minSamples: 1);
        Assert.False(test.Add(double.NaN));
        Assert.False(test.Add(double.PositiveInfinity));
        Assert.Equal(0, test.Samples);
    }

    [Theory]
    [InlineData(-0.1, 1, "delta")]
    [InlineData(0.1, 0, "threshold")]
    public void Invalid_parameters_are_refused_by_name(double delta, double threshold, string name)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new PageHinkley(delta, threshold));
        Assert.Equal(name, ex.ParamName);
    }
}
