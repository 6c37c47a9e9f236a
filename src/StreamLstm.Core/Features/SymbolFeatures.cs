namespace StreamLstm.Features;

/// <summary>
/// One symbol's online feature state. Each tick yields one feature vector computed from that symbol's own past only:
/// the log return scaled by the volatility known before the tick, the volatility regime (fast over slow EWMA
/// volatility), a momentum term, and the standardized log time since the previous tick. The same code serves
/// training, backtest and the live worker, so there is one definition of a feature and no look-ahead.
/// </summary>
public sealed class SymbolFeatures
{
    /// <summary>Number of features per tick.</summary>
    public const int Count = 4;

    /// <summary>Returns are clipped to this many standard deviations.</summary>
    public const double Clip = 8.0;

    private const double SlowAlpha = 1.0 / 60;   // about the last 60 returns
    private const double FastAlpha = 1.0 / 10;
    private const double MomentumAlpha = 1.0 / 10;
    private const double TimeAlpha = 1.0 / 100;
    private const double MinSigma = 1e-7;

    private double _lastPrice = double.NaN;
    private DateTime _lastTime;
    private double _slowVar, _fastVar, _momentum;
    private double _timeMean, _timeVar;
    private long _returns;

    /// <summary>Price of the last tick seen (NaN before the first).</summary>
    public double LastPrice => _lastPrice;

    /// <summary>Event time of the last tick seen.</summary>
    public DateTime LastTime => _lastTime;

    /// <summary>Number of returns seen (ticks minus one).</summary>
    public long Returns => _returns;

    /// <summary>
    /// Volatility of one-tick log returns known after the last tick: the scale of the model's targets, so a forecast
    /// made now is <c>price * exp(z * Sigma)</c> for a normalized move <c>z</c>.
    /// </summary>
    public double Sigma => Math.Max(Math.Sqrt(_slowVar), MinSigma);

    /// <summary>
    /// Advances by one tick. Writes the tick's features into <paramref name="features"/> and returns true, except for
    /// a symbol's first tick, which has no return yet (false).
    /// </summary>
    public bool Advance(DateTime timestamp, double price, Span<float> features)
    {
        if (double.IsNaN(_lastPrice))
        {
            _lastPrice = price;
            _lastTime = timestamp;
            return false;
        }

        double r = Math.Log(price / _lastPrice);
        double dtSeconds = Math.Max(0, (timestamp - _lastTime).TotalSeconds);
        double logDt = Math.Log(1 + dtSeconds);

        // Volatility known before this tick; the first returns use their running mean square.
        double sigmaBefore = _returns == 0 ? Math.Max(Math.Abs(r), MinSigma) : Sigma;
        double z = Math.Clamp(r / sigmaBefore, -Clip, Clip);

        _returns++;
        double warm = 1.0 / _returns;
        double clippedR = z * sigmaBefore;
        _slowVar = Blend(_slowVar, clippedR * clippedR, Math.Max(SlowAlpha, warm));
        _fastVar = Blend(_fastVar, clippedR * clippedR, Math.Max(FastAlpha, warm));
        _momentum = Blend(_momentum, z, Math.Max(MomentumAlpha, warm));

        double timeSigma = Math.Sqrt(_timeVar);
        double zTime = _returns <= 2 || timeSigma < 1e-9 ? 0 : Math.Clamp((logDt - _timeMean) / timeSigma, -Clip, Clip);
        double timeAlpha = Math.Max(TimeAlpha, warm);
        double delta = logDt - _timeMean;
        _timeMean += timeAlpha * delta;
        _timeVar = (1 - timeAlpha) * (_timeVar + timeAlpha * delta * delta);

        features[0] = (float)z;
        features[1] = (float)Math.Clamp(0.5 * Math.Log((_fastVar + MinSigma * MinSigma) / (_slowVar + MinSigma * MinSigma)), -Clip, Clip);
        features[2] = (float)(_momentum * Math.Sqrt(1 / MomentumAlpha));
        features[3] = (float)zTime;

        _lastPrice = price;
        _lastTime = timestamp;
        return true;
    }

    private static double Blend(double old, double value, double alpha) => old + alpha * (value - old);

    /// <summary>Writes every field, exactly, for a state checkpoint.</summary>
    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(_lastPrice);
        writer.Write(_lastTime.Ticks);
        writer.Write(_slowVar);
        writer.Write(_fastVar);
        writer.Write(_momentum);
        writer.Write(_timeMean);
        writer.Write(_timeVar);
        writer.Write(_returns);
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote.</summary>
    internal void ReadFrom(BinaryReader reader)
    {
        _lastPrice = reader.ReadDouble();
        _lastTime = new DateTime(reader.ReadInt64(), DateTimeKind.Utc);
        _slowVar = reader.ReadDouble();
        _fastVar = reader.ReadDouble();
        _momentum = reader.ReadDouble();
        _timeMean = reader.ReadDouble();
        _timeVar = reader.ReadDouble();
        _returns = reader.ReadInt64();
    }
}
