namespace StreamLstm.Sink;

/// <summary>
/// When a fault that repeats is logged: at once when it first occurs or changes, then at most once per interval, with
/// the occurrences since the last line. Used by one thread at a time (the sink's writer).
/// </summary>
internal sealed class FaultLogThrottle(TimeSpan interval)
{
    private string? _fault;
    private DateTimeOffset _loggedAt;
    private long _sinceLogged;
    private long _inRun;

    /// <summary>
    /// Counts one occurrence of <paramref name="fault"/>; true when it is to be logged now, with
    /// <paramref name="occurrences"/> those since the last line, this one included.
    /// </summary>
    public bool Record(string fault, DateTimeOffset now, out long occurrences)
    {
        _inRun++;
        _sinceLogged++;
        occurrences = _sinceLogged;
        if (_fault == fault && now - _loggedAt < interval) return false;
        _fault = fault;
        _loggedAt = now;
        _sinceLogged = 0;
        return true;
    }

    /// <summary>Ends a run of faults (a write succeeded); returns how many occurred in it, 0 when none did.</summary>
    public long Reset()
    {
        var run = _inRun;
        _fault = null;
        _sinceLogged = 0;
        _inRun = 0;
        return run;
    }
}
