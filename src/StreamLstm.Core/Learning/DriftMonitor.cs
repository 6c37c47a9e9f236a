using StreamLstm.Inference;

namespace StreamLstm.Learning;

/// <summary>
/// Watches the whole model's one-tick-ahead forecasts as they resolve and raises a drift signal when their error,
/// relative to the naive last price's, or their interval misses increase in the mean (two <see cref="PageHinkley"/>
/// tests). The forecast loop feeds it; the retraining loop takes the signal. The error signal is
/// log((|model error| + e) / (|naive error| + e)), clipped to +/-3, with e a tenth of a basis point of the price.
/// </summary>
public sealed class DriftMonitor(double delta, double threshold)
{
    private const double Clip = 3;
    private readonly PageHinkley _error = new(delta, threshold);
    private readonly PageHinkley _misses = new(delta, threshold);
    private int _signal;
    private string? _reason;

    /// <summary>Signals raised since start.</summary>
    public int Signals { get; private set; }

    /// <summary>Feeds one resolved forecast for a tick at <paramref name="price"/> (forecast loop only).</summary>
    public void Add(ResolvedForecast resolved, double price)
    {
        double e = price * 1e-5;
        double ratio = Math.Clamp(Math.Log((resolved.ModelAbsError + e) / (resolved.NaiveAbsError + e)), -Clip, Clip);
        bool error = _error.Add(ratio);
        bool misses = _misses.Add(resolved.Covered ? 0 : 1);
        if (!error && !misses) return;
        Signals++;
        Volatile.Write(ref _reason, error ? "forecast error rose against naive (Page-Hinkley)" : "interval coverage fell (Page-Hinkley)");
        Volatile.Write(ref _signal, 1);
    }

    /// <summary>Starts both tests over (a new model serves).</summary>
    public void Reset()
    {
        _error.Reset();
        _misses.Reset();
    }

    /// <summary>Takes the pending drift signal, if any (any thread): its reason, or null.</summary>
    public string? TakeSignal() => Interlocked.Exchange(ref _signal, 0) == 1 ? Volatile.Read(ref _reason) : null;
}
