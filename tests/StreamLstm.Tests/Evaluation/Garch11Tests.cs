using StreamLstm.Evaluation;
using StreamLstm.Tests.Support;

namespace StreamLstm.Tests.Evaluation;

public class Garch11Tests
{
    /// <summary>Returns of a GARCH(1,1) with Gaussian shocks, started at the long-run variance.</summary>
    internal static double[] Simulate(int n, double omega, double alpha, double beta, int seed, double mean = 0)
    {
        var random = new Random(seed);
        var returns = new double[n];
        double s2 = omega / (1 - alpha - beta);
        for (int t = 0; t < n; t++)
        {
            double e = Math.Sqrt(s2) * SyntheticTicks.Normal(random);
            returns[t] = mean + e;
            s2 = omega + alpha * e * e + beta * s2;
        }
        return returns;
    }

    [Fact]
    public void Fit_recovers_the_parameters_of_a_simulated_garch_series()
    {
        // Over seeds 1-12 (5,000 or 10,000 returns) the estimates were within 0.016 of alpha, 0.021 of beta and 0.009 of
        // their sum: the tolerances leave room above that.
        var returns = Simulate(10_000, omega: 1e-6, alpha: 0.08, beta: 0.9, seed: 7, mean: 2e-4);

        var fit = Garch11.Fit(returns);

        Assert.True(fit.Fitted);
        Assert.Equal(0.08, fit.Alpha, 0.025);
        Assert.Equal(0.90, fit.Beta, 0.03);
        Assert.Equal(0.98, fit.Persistence, 0.01);
        Assert.InRange(fit.Omega, 0.5e-6, 2e-6);
        Assert.Equal(2e-4, fit.Mean, 1e-4);
    }

    [Fact]
    public void Fit_finds_at_least_the_likelihood_of_the_true_parameters()
    {
        var returns = Simulate(5_000, omega: 1e-6, alpha: 0.08, beta: 0.9, seed: 8);

        var fit = Garch11.Fit(returns);

        var residuals = returns.Select(r => r - fit.Mean).ToArray();
        double atFit = Garch11.NegativeLogLikelihood(residuals, fit.Omega, fit.Alpha, fit.Beta, fit.InitialVariance);
        double atTruth = Garch11.NegativeLogLikelihood(residuals, 1e-6, 0.08, 0.9, fit.InitialVariance);
        Assert.True(atFit <= atTruth + 1e-9, $"{atFit} > {atTruth}");
    }

    [Fact]
    public void A_short_series_gets_a_constant_variance_equal_to_its_sample_variance()
    {
        var returns = Simulate(Garch11.MinReturns - 1, omega: 1e-6, alpha: 0.08, beta: 0.9, seed: 9);
        double mean = returns.Average();
        double variance = returns.Sum(r => (r - mean) * (r - mean)) / (returns.Length - 1);

        var fit = Garch11.Fit(returns);

        Assert.False(fit.Fitted);
        Assert.Equal((0.0, 0.0), (fit.Alpha, fit.Beta));
        Assert.Equal(variance, fit.Omega, 1e-18);
        Assert.Equal(variance, fit.NextVariance(fit.InitialVariance, 0.05), 1e-18);
    }

    [Fact]
    public void A_constant_series_gets_a_zero_variance_and_an_empty_one_none()
    {
        var constant = Garch11.Fit(new double[500]);
        Assert.False(constant.Fitted);
        Assert.Equal(0, constant.Omega);

        var empty = Garch11.Fit([]);
        Assert.False(empty.Fitted);
        Assert.Equal(0, empty.InitialVariance);
    }
}
