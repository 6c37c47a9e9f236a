namespace StreamLstm.Learning;

/// <summary>
/// The Page-Hinkley test for an increase in the mean of a stream: it accumulates m_T = sum(x_t - mean_t - delta) and
/// signals when m_T rises more than <c>threshold</c> above its running minimum. After a signal it starts over.
/// </summary>
public sealed class PageHinkley
{
    private readonly double _delta, _threshold;
    private readonly int _minSamples;
    private long _n;
    private double _mean, _sum, _minimum;

    /// <param name="delta">Changes of the mean smaller than this are tolerated.</param>
    /// <param name="threshold">How far the cumulative excess must rise above its minimum to signal (lambda).</param>
    /// <param name="minSamples">Samples since the last start before a signal can be raised.</param>
    public PageHinkley(double delta, double threshold, int minSamples = 30)
    {
        if (!(delta >= 0)) throw new ArgumentOutOfRangeException(nameof(delta), "delta must be 0 or more");
        if (!(threshold > 0)) throw new ArgumentOutOfRangeException(nameof(threshold), "threshold must be positive");
        _delta = delta;
        _threshold = threshold;
        _minSamples = Math.Max(1, minSamples);
    }

    /// <summary>Samples since the last start.</summary>
    public long Samples => _n;

    /// <summary>The test statistic now: m_T minus its minimum.</summary>
    public double Statistic => _sum - _minimum;

    /// <summary>Adds a sample; returns true when the mean has increased (and starts over).</summary>
    public bool Add(double x)
    {
        if (!double.IsFinite(x)) return false;
        _n++;
        _mean += (x - _mean) / _n;
        _sum += x - _mean - _delta;
        if (_sum < _minimum) _minimum = _sum;
        if (_n < _minSamples || _sum - _minimum <= _threshold) return false;
        Reset();
        return true;
    }

    /// <summary>Forgets everything seen.</summary>
    public void Reset()
    {
        _n = 0;
        _mean = _sum = _minimum = 0;
    }
}
