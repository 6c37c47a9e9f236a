namespace StreamLstm.Features;

/// <summary>
/// One symbol's online feature state. Each tick yields one feature vector computed from that symbol's own past and the
/// tick itself only. The first <see cref="PriceCount"/> come from prices and times: the log return scaled by the
/// volatility known before the tick, the volatility regime (fast over slow EWMA volatility), a momentum term, and the
/// standardized log time since the previous tick. The next five come from a quote feed's bid and ask and a volume,
/// and are 0 where a tick has none: the standardized log spread, the mid's move scaled like the return, where the price
/// sits in the spread, the standardized log volume, and the tick intensity (recent over usual time between ticks).
/// A model reads the first <c>Model:InputSize</c> of them (<see cref="FeatureSets"/>); all are always computed, so a
/// swap between models of either set re-warms from the same window. The same code serves training, backtest and the
/// live worker, so there is one definition of a feature and no look-ahead.
/// </summary>
public sealed class SymbolFeatures
{
    /// <summary>Number of features computed per tick (a <c>quote</c> model reads them all).</summary>
    public const int Count = 9;

    /// <summary>Number of features from prices and times alone (a <c>price</c> model reads these).</summary>
    public const int PriceCount = 4;

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
    // The quote features' state: the last mid, EWMA mean and variance of the log spread and of the log volume (with how
    // many were seen), and a fast EWMA of the log time between ticks.
    private double _lastMid = double.NaN;
    private double _spreadMean, _spreadVar, _volumeMean, _volumeVar, _fastTime;
    private long _spreads, _volumes;

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
    /// Advances by one tick. Writes the tick's <see cref="Count"/> features into <paramref name="features"/> and returns
    /// true, except for a symbol's first tick, which has no return yet (false).
    /// </summary>
    public bool Advance(DateTime timestamp, double price, Span<float> features, double? volume = null, double? bid = null, double? ask = null)
    {
        if (features.Length < Count) throw new ArgumentException($"room for {Count} features is needed, not {features.Length}", nameof(features));
        if (double.IsNaN(_lastPrice))
        {
            _lastPrice = price;
            _lastTime = timestamp;
            if (bid is { } b0 && ask is { } a0) _lastMid = 0.5 * (b0 + a0);
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
        bool timeKnown = _returns > 2 && timeSigma >= 1e-9;
        double zTime = timeKnown ? Math.Clamp((logDt - _timeMean) / timeSigma, -Clip, Clip) : 0;
        double usualTime = _timeMean;
        double timeAlpha = Math.Max(TimeAlpha, warm);
        double delta = logDt - _timeMean;
        _timeMean += timeAlpha * delta;
        _timeVar = (1 - timeAlpha) * (_timeVar + timeAlpha * delta * delta);
        _fastTime = Blend(_fastTime, logDt, Math.Max(FastAlpha, warm));

        features[0] = (float)z;
        features[1] = (float)Math.Clamp(0.5 * Math.Log((_fastVar + MinSigma * MinSigma) / (_slowVar + MinSigma * MinSigma)), -Clip, Clip);
        features[2] = (float)(_momentum * Math.Sqrt(1 / MomentumAlpha));
        features[3] = (float)zTime;
        var (spread, mid, position) = Quote(price, bid, ask, sigmaBefore);
        features[4] = (float)spread;
        features[5] = (float)mid;
        features[6] = (float)position;
        features[7] = (float)Volume(volume);
        // Ticks coming faster than usual lately: positive (the usual log time between ticks less the recent one).
        features[8] = timeKnown ? (float)Math.Clamp((usualTime - _fastTime) / timeSigma, -Clip, Clip) : 0f;

        _lastPrice = price;
        _lastTime = timestamp;
        return true;
    }

    /// <summary>
    /// The quote features of a tick, 0 without a quote: the log spread standardized by its own EWMA (known before the
    /// tick), the mid's log move over the return volatility, and the price's place in the spread (-1 at the bid, 1 at
    /// the ask; 0 when it is the mid).
    /// </summary>
    private (double Spread, double Mid, double Position) Quote(double price, double? bid, double? ask, double sigmaBefore)
    {
        if (bid is not { } b || ask is not { } a) return (0, 0, 0);
        double mid = 0.5 * (b + a), logSpread = Math.Log(a / b);
        double spread = Standardize(logSpread, ref _spreadMean, ref _spreadVar, ref _spreads);
        double move = double.IsNaN(_lastMid) ? 0 : Math.Clamp(Math.Log(mid / _lastMid) / sigmaBefore, -Clip, Clip);
        double position = a > b ? Math.Clamp((price - mid) / (0.5 * (a - b)), -Clip, Clip) : 0;
        _lastMid = mid;
        return (spread, move, position);
    }

    /// <summary>The log volume standardized by its own EWMA (known before the tick); 0 without a volume.</summary>
    private double Volume(double? volume) =>
        volume is { } v && double.IsFinite(v) && v >= 0 ? Standardize(Math.Log(1 + v), ref _volumeMean, ref _volumeVar, ref _volumes) : 0;

    /// <summary>
    /// <paramref name="value"/> less the EWMA mean over the EWMA deviation of those seen before it (0 for the first
    /// three, or when they did not vary), clipped; then folds it in.
    /// </summary>
    private static double Standardize(double value, ref double mean, ref double variance, ref long seen)
    {
        double sd = Math.Sqrt(variance);
        double z = seen < 3 || sd < 1e-9 ? 0 : Math.Clamp((value - mean) / sd, -Clip, Clip);
        seen++;
        double alpha = Math.Max(TimeAlpha, 1.0 / seen), delta = value - mean;
        mean += alpha * delta;
        variance = (1 - alpha) * (variance + alpha * delta * delta);
        return z;
    }

    /// <inheritdoc cref="Advance(DateTime, double, Span{float}, double?, double?, double?)"/>
    public bool Advance(in Ticks.Tick tick, Span<float> features) => Advance(tick.Timestamp, tick.Price, features, tick.Volume, tick.Bid, tick.Ask);

    private static double Blend(double old, double value, double alpha) => old + alpha * (value - old);

    /// <summary>Writes every field, exactly, for a state checkpoint (without the quote features' for an older format).</summary>
    internal void WriteTo(BinaryWriter writer, bool withQuotes = true)
    {
        writer.Write(_lastPrice);
        writer.Write(_lastTime.Ticks);
        writer.Write(_slowVar);
        writer.Write(_fastVar);
        writer.Write(_momentum);
        writer.Write(_timeMean);
        writer.Write(_timeVar);
        writer.Write(_returns);
        if (withQuotes) WriteQuoteState(writer);
    }

    /// <summary>The quote features' fields (checkpoint format 3 on).</summary>
    private void WriteQuoteState(BinaryWriter writer)
    {
        writer.Write(_lastMid);
        writer.Write(_spreadMean);
        writer.Write(_spreadVar);
        writer.Write(_spreads);
        writer.Write(_volumeMean);
        writer.Write(_volumeVar);
        writer.Write(_volumes);
        writer.Write(_fastTime);
    }

    /// <summary>
    /// Reads what <see cref="WriteTo"/> wrote; <paramref name="withQuotes"/> false reads an older checkpoint, which had
    /// no quote features (their state starts empty, and the tick intensity from the usual time between ticks).
    /// </summary>
    internal void ReadFrom(BinaryReader reader, bool withQuotes = true)
    {
        _lastPrice = reader.ReadDouble();
        _lastTime = new DateTime(reader.ReadInt64(), DateTimeKind.Utc);
        _slowVar = reader.ReadDouble();
        _fastVar = reader.ReadDouble();
        _momentum = reader.ReadDouble();
        _timeMean = reader.ReadDouble();
        _timeVar = reader.ReadDouble();
        _returns = reader.ReadInt64();
        if (!withQuotes)
        {
            _fastTime = _timeMean;
            return;
        }
        _lastMid = reader.ReadDouble();
        _spreadMean = reader.ReadDouble();
        _spreadVar = reader.ReadDouble();
        _spreads = reader.ReadInt64();
        _volumeMean = reader.ReadDouble();
        _volumeVar = reader.ReadDouble();
        _volumes = reader.ReadInt64();
        _fastTime = reader.ReadDouble();
    }
}
