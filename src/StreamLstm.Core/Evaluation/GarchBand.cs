using StreamLstm.Inference;
using StreamLstm.Model;

namespace StreamLstm.Evaluation;

/// <summary>
/// The 80% band of a <see cref="Garch11"/> for <see cref="Horizon"/> ticks ahead, stepped per price with no look-ahead:
/// last * exp(+/- 1.2816 * sqrt(sum over k = 1..h of E[s2_{t+k}]) * exp(logScale)), where logScale is calibrated online
/// by the product's rule (<see cref="ForecastTracker"/>): += rate * (missed - 0.2) when each band's actual arrives.
/// </summary>
public sealed class GarchBand
{
    private readonly Garch11 _model;
    private readonly double _learningRate;
    // Ring of the bands in flight: the one in slot _next was made Horizon ticks ago.
    private readonly double[] _lower, _upper;
    private readonly bool[] _pending;
    private double _last = double.NaN, _variance;
    private int _next;

    /// <param name="model">The variance model (fitted on the training part).</param>
    /// <param name="horizon">Ticks ahead.</param>
    /// <param name="learningRate">Step of the online calibration (<see cref="ServingSettings.IntervalLearningRate"/>).</param>
    public GarchBand(Garch11 model, int horizon, double learningRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        _model = model;
        _learningRate = learningRate;
        _variance = model.InitialVariance;
        Horizon = horizon;
        _lower = new double[horizon];
        _upper = new double[horizon];
        _pending = new bool[horizon];
    }

    /// <summary>Ticks ahead.</summary>
    public int Horizon { get; }

    /// <summary>Lower bound of the band made at the last price.</summary>
    public double Lower { get; private set; } = double.NaN;

    /// <summary>Upper bound of the band made at the last price.</summary>
    public double Upper { get; private set; } = double.NaN;

    /// <summary>The online calibration's log scale (0 at the start).</summary>
    public double LogScale { get; private set; }

    /// <summary>The variance of the next log return, given the prices so far.</summary>
    public double Variance => _variance;

    /// <summary>
    /// Takes a price: resolves the band made <see cref="Horizon"/> ticks ago (moving the scale), updates the variance
    /// with the price's return, and makes the band for <see cref="Horizon"/> ticks ahead of it.
    /// </summary>
    public void Add(double price)
    {
        int slot = _next;
        if (_pending[slot])
        {
            bool missed = price < _lower[slot] || price > _upper[slot];
            LogScale += _learningRate * ((missed ? 1 : 0) - ForecastTracker.MissTarget);
        }
        if (!double.IsNaN(_last)) _variance = _model.NextVariance(_variance, Math.Log(price / _last) - _model.Mean);
        _last = price;

        // E[s2_{t+k+1}] = omega + (alpha + beta) E[s2_{t+k}], from s2_{t+1} known now.
        double sum = 0, expected = _variance;
        for (int k = 1; k <= Horizon; k++)
        {
            sum += expected;
            expected = _model.Omega + _model.Persistence * expected;
        }
        double half = NaiveModel.Quantile90 * Math.Sqrt(sum) * Math.Exp(LogScale);
        Lower = _lower[slot] = price * Math.Exp(-half);
        Upper = _upper[slot] = price * Math.Exp(half);
        _pending[slot] = true;
        _next = (slot + 1) % Horizon;
    }
}
