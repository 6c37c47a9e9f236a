using StreamLstm.Model;

namespace StreamLstm.Evaluation;

/// <summary>
/// The plain 80% band from the standard deviation of the last <see cref="Window"/> log returns:
/// last * exp(+/- 1.2816 * sd * sqrt(h)). The bar the model's intervals are compared with.
/// </summary>
public sealed class RollingVolatilityBand
{
    /// <summary>Returns in the rolling window.</summary>
    public const int Window = 60;

    private readonly double[] _returns = new double[Window];
    private double _last = double.NaN, _sum, _sumSquares;
    private int _count, _next;

    /// <summary>Whether the window is full.</summary>
    public bool Ready => _count == Window;

    /// <summary>Adds a price.</summary>
    public void Add(double price)
    {
        if (!double.IsNaN(_last))
        {
            double r = Math.Log(price / _last);
            if (_count == Window)
            {
                double old = _returns[_next];
                _sum -= old;
                _sumSquares -= old * old;
            }
            else
            {
                _count++;
            }
            _returns[_next] = r;
            _next = (_next + 1) % Window;
            _sum += r;
            _sumSquares += r * r;
        }
        _last = price;
    }

    /// <summary>The band for <paramref name="horizon"/> ticks ahead of the last price.</summary>
    public (double Lower, double Upper) Band(int horizon)
    {
        double mean = _sum / Math.Max(1, _count);
        double variance = Math.Max(0, _sumSquares / Math.Max(1, _count) - mean * mean) * _count / Math.Max(1, _count - 1);
        double half = NaiveModel.Quantile90 * Math.Sqrt(variance * horizon);
        return (_last * Math.Exp(-half), _last * Math.Exp(half));
    }
}
