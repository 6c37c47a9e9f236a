namespace StreamLstm.Inference;

/// <summary>
/// Running score of point and interval forecasts against actuals, with the naive last-price forecast scored on the
/// same points. Adding is O(1); the figures are those of <c>metrics.json</c>.
/// </summary>
public sealed class ForecastScore
{
    private long _n, _directional, _directionHits, _inside;
    private double _absError, _squaredError, _naiveAbsError, _width, _intervalScore, _pinball10, _pinball50, _pinball90;

    /// <summary>The central interval's miss rate: the 80% interval is the 0.1 and 0.9 quantiles.</summary>
    public const double Alpha = 0.2;

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
        _intervalScore += IntervalScoreOf(lower, upper, actual) / last;
        _pinball10 += Pinball(0.1, lower, actual) / last;
        _pinball50 += Pinball(0.5, point, actual) / last;
        _pinball90 += Pinball(0.9, upper, actual) / last;
    }

    /// <summary>
    /// The interval (Winkler) score of a central 1 - <see cref="Alpha"/> interval: its width, plus 2 / alpha times the
    /// distance by which the actual fell outside it. Proper: lower is better, and narrowing an interval that then misses
    /// costs more than it saves.
    /// </summary>
    public static double IntervalScoreOf(double lower, double upper, double actual) =>
        upper - lower + 2 / Alpha * (Math.Max(0, lower - actual) + Math.Max(0, actual - upper));

    /// <summary>The pinball (quantile) loss of <paramref name="forecast"/> as the <paramref name="quantile"/> quantile.</summary>
    public static double Pinball(double quantile, double forecast, double actual) =>
        actual >= forecast ? quantile * (actual - forecast) : (1 - quantile) * (forecast - actual);

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
        _intervalScore += other._intervalScore;
        _pinball10 += other._pinball10;
        _pinball50 += other._pinball50;
        _pinball90 += other._pinball90;
    }

    /// <summary>A sum's mean over the forecasts scored (NaN when none was).</summary>
    private double Mean(double sum) => _n == 0 ? double.NaN : sum / _n;

    public double Mae => Mean(_absError);
    public double Rmse => Math.Sqrt(Mean(_squaredError));
    public double NaiveMae => Mean(_naiveAbsError);

    /// <summary>MAE over the naive forecast's MAE; null when the naive MAE is 0 (or nothing was scored).</summary>
    public double? RelMae => _n == 0 || _naiveAbsError == 0 ? null : _absError / _naiveAbsError;

    /// <summary>Share of forecasts with the actual's direction, over points where the actual changed.</summary>
    public double DirectionalAccuracy => _directional == 0 ? double.NaN : (double)_directionHits / _directional;

    public double Coverage80 => Mean(_inside);

    /// <summary>Mean of (upper - lower) / last price.</summary>
    public double IntervalWidth => Mean(_width);

    /// <summary>Mean interval score of the 80% interval (see <see cref="IntervalScoreOf"/>) over the last price.</summary>
    public double IntervalScore => Mean(_intervalScore);

    /// <summary>Mean pinball loss of the lower bound as the 0.1 quantile, over the last price.</summary>
    public double Pinball10 => Mean(_pinball10);

    /// <summary>Mean pinball loss of the point forecast as the median, over the last price.</summary>
    public double Pinball50 => Mean(_pinball50);

    /// <summary>Mean pinball loss of the upper bound as the 0.9 quantile, over the last price.</summary>
    public double Pinball90 => Mean(_pinball90);
}
