namespace StreamLstm.Telemetry;

/// <summary>
/// Lets a repeated log line through at most once per <paramref name="interval"/> per key (an error code, a kind of
/// message), and counts the ones held back, so a flood (a dead letter per message, a broker down) costs one line per
/// interval that says how many were suppressed. Thread-safe; meant for a handful of keys.
/// </summary>
public sealed class LogRateLimit(TimeSpan interval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, (long LoggedAt, long Suppressed)> _keys = new(StringComparer.Ordinal);

    /// <summary>
    /// True when a line for <paramref name="key"/> may be logged now; then <paramref name="suppressed"/> is how many were
    /// held back since the last one. False (and counted) otherwise.
    /// </summary>
    public bool ShouldLog(string key, out long suppressed)
    {
        long now = _time.GetTimestamp();
        lock (_keys)
        {
            if (_keys.TryGetValue(key, out var entry) && _time.GetElapsedTime(entry.LoggedAt, now) < interval)
            {
                _keys[key] = (entry.LoggedAt, entry.Suppressed + 1);
                suppressed = 0;
                return false;
            }
            suppressed = entry.Suppressed;
            _keys[key] = (now, 0);
            return true;
        }
    }
}
