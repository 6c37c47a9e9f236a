using StreamLstm.Evaluation;

namespace StreamLstm.Tests.Evaluation;

public class GarchBandTests
{
    private const double Z80 = 1.2815515655446004;

    [Fact]
    public void The_band_spans_the_expected_variance_summed_over_the_horizon()
    {
        var model = new Garch11(Mean: 0.001, Omega: 1e-6, Alpha: 0.1, Beta: 0.85, InitialVariance: 4e-4, Fitted: true);
        var band = new GarchBand(model, horizon: 3, learningRate: 0.05);

        band.Add(100);
        Assert.Equal(4e-4, band.Variance);
        band.Add(101);
        double e = Math.Log(101 / 100.0) - 0.001;
        double s1 = 1e-6 + 0.1 * e * e + 0.85 * 4e-4;
        Assert.Equal(s1, band.Variance, 1e-18);
        double s2 = 1e-6 + 0.95 * s1, s3 = 1e-6 + 0.95 * s2;
        double half = Z80 * Math.Sqrt(s1 + s2 + s3);
        // Nothing resolved yet (3 ticks ahead): the scale is still 1.
        Assert.Equal(0, band.LogScale);
        Assert.Equal(101 * Math.Exp(-half), band.Lower, 1e-12);
        Assert.Equal(101 * Math.Exp(half), band.Upper, 1e-12);
    }

    [Fact]
    public void A_miss_widens_the_next_bands_and_a_hit_narrows_them_by_the_products_rule()
    {
        var band = new GarchBand(Garch11.Constant(0, 1e-4), horizon: 1, learningRate: 0.05);
        band.Add(100);
        Assert.Equal(100 * Math.Exp(Z80 * 0.01), band.Upper, 1e-12);

        band.Add(110); // outside 100 * exp(+/- 1.28%)
        Assert.Equal(0.05 * 0.8, band.LogScale, 1e-15);
        band.Add(110); // inside
        Assert.Equal(0.05 * 0.8 - 0.05 * 0.2, band.LogScale, 1e-15);
        Assert.Equal(110 * Math.Exp(-Z80 * 0.01 * Math.Exp(0.03)), band.Lower, 1e-12);
    }
}
