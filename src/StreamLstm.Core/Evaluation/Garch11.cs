using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace StreamLstm.Evaluation;

/// <summary>
/// A GARCH(1,1) model of log returns r_t = <see cref="Mean"/> + e_t, with e_t ~ N(0, s2_t) and
/// s2_{t+1} = <see cref="Omega"/> + <see cref="Alpha"/> * e_t^2 + <see cref="Beta"/> * s2_t, from
/// s2_1 = <see cref="InitialVariance"/>.
/// </summary>
/// <param name="Mean">Mean return subtracted before the variance recursion (the training part's).</param>
/// <param name="Omega">Constant of the variance recursion.</param>
/// <param name="Alpha">Weight of the last squared residual.</param>
/// <param name="Beta">Weight of the last variance.</param>
/// <param name="InitialVariance">Variance of the first return (the fit's sample variance, its backcast).</param>
/// <param name="Fitted">False when the series was too short or constant to fit: a constant variance.</param>
public sealed record Garch11(double Mean, double Omega, double Alpha, double Beta, double InitialVariance, bool Fitted)
{
    /// <summary>Fewest returns <see cref="Fit"/> fits a GARCH(1,1) to; below it the variance is constant.</summary>
    public const int MinReturns = 100;

    /// <summary>alpha + beta: how much of a variance shock is left one step later.</summary>
    public double Persistence => Alpha + Beta;

    /// <summary>The variance of the next return once the residual <paramref name="residual"/> of a return with variance <paramref name="variance"/> is known.</summary>
    public double NextVariance(double variance, double residual) => Omega + Alpha * residual * residual + Beta * variance;

    /// <summary>A constant variance: alpha = beta = 0, omega = <paramref name="variance"/>.</summary>
    public static Garch11 Constant(double mean, double variance) => new(mean, variance, 0, 0, variance, Fitted: false);

    /// <summary>
    /// Fits by Gaussian maximum likelihood on the returns demeaned with their mean, with the variance recursion started
    /// at the sample variance. Nelder-Mead over an unconstrained reparametrization that keeps the model stationary and
    /// positive: persistence p = sigmoid(x1), alpha's share of it = sigmoid(x2), long-run variance V = exp(x3),
    /// omega = V (1 - p); started at V = sample variance, p = 0.95, share 0.1.
    /// </summary>
    public static Garch11 Fit(ReadOnlySpan<double> returns)
    {
        int n = returns.Length;
        double mean = 0;
        foreach (var r in returns) mean += r;
        mean = n == 0 ? 0 : mean / n;
        double variance = 0;
        foreach (var r in returns) variance += (r - mean) * (r - mean);
        variance = n > 1 ? variance / (n - 1) : 0;
        // Too few returns say nothing about the dynamics, and a constant series has none: a constant variance, the
        // sample variance (0 for a constant series, so its band has no width until the calibration is the only thing left).
        if (n < MinReturns || !(variance > 0) || !double.IsFinite(variance)) return Constant(mean, variance);

        var residuals = new double[n];
        for (int i = 0; i < n; i++) residuals[i] = returns[i] - mean;
        double v0 = variance;
        var best = (Value: double.PositiveInfinity, Point: (Vector<double>?)null);
        double Objective(Vector<double> x)
        {
            var (omega, alpha, beta) = FromUnconstrained(x);
            double value = NegativeLogLikelihood(residuals, omega, alpha, beta, v0);
            // Nelder-Mead ranks vertices only: a huge finite value steers it away from where the likelihood overflows.
            if (!double.IsFinite(value)) value = double.MaxValue;
            if (value < best.Value) best = (value, x.Clone());
            return value;
        }

        var start = Vector<double>.Build.Dense([Logit(0.95), Logit(0.1), Math.Log(variance)]);
        var step = Vector<double>.Build.Dense([1.0, 1.0, 0.5]);
        var objective = ObjectiveFunction.Value(Objective);
        try
        {
            var first = new NelderMeadSimplex(1e-10, 4000).FindMinimum(objective, start, step);
            // A restart from the minimum found, as usual with Nelder-Mead: a collapsed simplex can stop short.
            new NelderMeadSimplex(1e-10, 4000).FindMinimum(objective, first.MinimizingPoint, step * 0.1);
        }
        catch (MaximumIterationsException)
        {
            // The best point seen so far is kept.
        }
        if (best.Point is null || best.Value == double.MaxValue) return Constant(mean, variance);
        var (o, a, b) = FromUnconstrained(best.Point);
        return new Garch11(mean, o, a, b, variance, Fitted: true);
    }

    /// <summary>
    /// The Gaussian negative log-likelihood per return, without its constant: mean of (log s2_t + e_t^2 / s2_t) / 2.
    /// </summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<double> residuals, double omega, double alpha, double beta, double initialVariance)
    {
        double s2 = initialVariance, sum = 0;
        foreach (var e in residuals)
        {
            if (!(s2 > 0)) return double.PositiveInfinity;
            sum += Math.Log(s2) + e * e / s2;
            s2 = omega + alpha * e * e + beta * s2;
        }
        return 0.5 * sum / residuals.Length;
    }

    private static (double Omega, double Alpha, double Beta) FromUnconstrained(Vector<double> x)
    {
        double p = Sigmoid(x[0]), share = Sigmoid(x[1]), longRun = Math.Exp(x[2]);
        return (longRun * (1 - p), p * share, p * (1 - share));
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double Logit(double p) => Math.Log(p / (1 - p));
}
