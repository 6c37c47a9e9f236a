namespace StreamLstm.Inference;

/// <summary>
/// Running score of point and interval forecasts against actuals, with the naive last-price forecast scored on the
/// same points. Adding is O(1); the figures are those of <c>metrics.json</c>.
/// </summary>
public sealed class ForecastScore
{
    private long _n, _directional, _directionHits, _inside;
    private double _absError, _squaredError, _naiveAbsError, _width;

    /// <summary>Forecasts scored.</summary>
    public long N => _n;

    /// <summary>Scores one forecast made at price <paramref name="last"/> for the price that turned out <paramref name="actual"/>.</summary>
    public void Add(double last, double point, double lower, double upper, double actual)
    {
        _n++;
        double error = point - actual;
        _absError += Math.Abs(error);
        _squaredError += error * error;
        _naiveAbsError += Math.Abs(actual - last);
        if (actual != last)
        {
            _directional++;
            if (Math.Sign(point - last) == Math.Sign(actual - last)) _directionHits++;
        }
        if (actual >= lower && actual <= upper) _inside++;
        _width += (upper - lower) / last;
    }

    /// <summary>Adds another score's points to this one.</summary>
    public void Merge(ForecastScore other)
    {
        _n += other._n;
        _directional += other._directional;
        _directionHits += other._directionHits;
        _inside += other._inside;
        _absError += other._absError;
        _squaredError += other._squaredError;
        _naiveAbsError += other._naiveAbsError;
        _width += other._width;
    }

    public double Mae => _n == 0 ? double.NaN : _absError / _n;
    public double Rmse => _n == 0 ? double.NaN : Math.Sqrt(_squaredError / _n);
    public double NaiveMae => _n == 0 ? double.NaN : _naiveAbsError / _n;

    /// <summary>MAE over the naive forecast's MAE; null when the naive MAE is 0 (or nothing was scored).</summary>
    public double? RelMae => _n == 0 || _naiveAbsError == 0 ? null : _absError / _naiveAbsError;

    /// <summary>Share of forecasts with the actual's direction, over points where the actual changed.</summary>
    public double DirectionalAccuracy => _directional == 0 ? double.NaN : (double)_directionHits / _directional;

    public double Coverage80 => _n == 0 ? double.NaN : (double)_inside / _n;

    /// <summary>Mean of (upper - lower) / last price.</summary>
    public double IntervalWidth => _n == 0 ? double.NaN : _width / _n;
}
