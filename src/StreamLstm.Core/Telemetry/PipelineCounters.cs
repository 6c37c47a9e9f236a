namespace StreamLstm.Telemetry;

/// <summary>
/// The worker's running totals and gauges, safe to read from any thread: the stages add to them on their own threads
/// (cheap interlocked adds, once per micro-batch where they can), and <see cref="WorkerMetrics"/> exports them.
/// </summary>
public sealed partial class PipelineCounters
{
    private long _futureTicks, _symbolsRefused, _revokedDiscarded;
    private long _ticks, _late, _forecasts, _points, _deadLettered, _pointsWritten, _pointsRejected, _writeFailures, _rewarmed, _modelEvents, _historyFailures;
    private string? _lastHistoryFailure;
    private long _historyBackfilled, _forecastsPublished;
    private long _checkpointCovered, _checkpoints, _checkpointFailures, _checkpointRecords, _checkpointBytes, _restored, _restoreRefused;

    public long Ticks => Interlocked.Read(ref _ticks);
    public long Late => Interlocked.Read(ref _late);
    public long Forecasts => Interlocked.Read(ref _forecasts);
    public long Points => Interlocked.Read(ref _points);
    public long DeadLettered => Interlocked.Read(ref _deadLettered);
    public long PointsWritten => Interlocked.Read(ref _pointsWritten);
    public long PointsRejected => Interlocked.Read(ref _pointsRejected);
    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    /// <summary>Ticks sent to the dead-letter topic for being too far ahead of the wall clock (counted in <see cref="DeadLettered"/> once written).</summary>
    public long FutureTicks => Interlocked.Read(ref _futureTicks);

    /// <summary>Ticks of new symbols sent to the dead-letter topic because <c>Serving:MaxSymbols</c> symbols had state.</summary>
    public long SymbolsRefused => Interlocked.Read(ref _symbolsRefused);

    /// <summary>Ticks still queued when their partition was revoked or lost, discarded unprocessed (the next owner consumes them).</summary>
    public long RevokedDiscarded => Interlocked.Read(ref _revokedDiscarded);

    /// <summary>Symbols re-warmed from their history when first seen after a (re)start.</summary>
    public long Rewarmed => Interlocked.Read(ref _rewarmed);

    /// <summary>Appends or flushes of the tick history the disk refused (the forecasts went on).</summary>
    public long HistoryFailures => Interlocked.Read(ref _historyFailures);

    /// <summary>Why the last refused history write failed.</summary>
    public string? LastHistoryFailure => Volatile.Read(ref _lastHistoryFailure);

    /// <summary>Ticks read again after a restore that the symbol's checkpoint already covered (not applied again).</summary>
    public long CheckpointCovered => Interlocked.Read(ref _checkpointCovered);

    /// <summary>Forecast messages the forecast topic acknowledged.</summary>
    public long ForecastsPublished => Interlocked.Read(ref _forecastsPublished);

    /// <summary>Ticks read back from the topic into the history of partitions taken over without it.</summary>
    public long HistoryBackfilled => Interlocked.Read(ref _historyBackfilled);

    /// <summary>State checkpoints written to the changelog.</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>State checkpoints the changelog did not take (the next one carries their symbols again).</summary>
    public long CheckpointFailures => Interlocked.Read(ref _checkpointFailures);

    /// <summary>Symbol records written by the checkpoints.</summary>
    public long CheckpointRecords => Interlocked.Read(ref _checkpointRecords);

    /// <summary>Bytes of symbol state written by the checkpoints.</summary>
    public long CheckpointBytes => Interlocked.Read(ref _checkpointBytes);

    /// <summary>Symbols restored exactly from their checkpoint on assignment.</summary>
    public long Restored => Interlocked.Read(ref _restored);

    /// <summary>Symbols whose checkpoint record was left out on assignment (unreadable, or another model's): re-warmed instead.</summary>
    public long RestoreRefused => Interlocked.Read(ref _restoreRefused);

    /// <summary><c>model_event</c> points written.</summary>
    public long ModelEvents => Interlocked.Read(ref _modelEvents);

    internal void AddTicks(long n) => Interlocked.Add(ref _ticks, n);
    internal void AddLate(long n) => Interlocked.Add(ref _late, n);
    internal void AddForecasts(long n) => Interlocked.Add(ref _forecasts, n);
    internal void AddPoints(long n) => Interlocked.Add(ref _points, n);
    internal void AddRevokedDiscarded(long n) => Interlocked.Add(ref _revokedDiscarded, n);
    internal void AddFutureTick() => Interlocked.Increment(ref _futureTicks);
    internal long AddSymbolRefused() => Interlocked.Increment(ref _symbolsRefused);
    internal void AddRewarmed(long n) => Interlocked.Add(ref _rewarmed, n);
    internal void AddModelEvent() => Interlocked.Increment(ref _modelEvents);
    internal void AddCheckpointCovered(long n) => Interlocked.Add(ref _checkpointCovered, n);
    internal void AddHistoryBackfilled(long n) => Interlocked.Add(ref _historyBackfilled, n);
    internal void AddForecastsPublished(long n) => Interlocked.Add(ref _forecastsPublished, n);
    internal void AddCheckpointFailure() => Interlocked.Increment(ref _checkpointFailures);

    internal void AddCheckpoint(long records, long bytes)
    {
        Interlocked.Increment(ref _checkpoints);
        Interlocked.Add(ref _checkpointRecords, records);
        Interlocked.Add(ref _checkpointBytes, bytes);
    }

    internal void AddRestored(long restored, long refused)
    {
        Interlocked.Add(ref _restored, restored);
        Interlocked.Add(ref _restoreRefused, refused);
    }

    internal void AddHistoryFailure(string reason)
    {
        Volatile.Write(ref _lastHistoryFailure, reason);
        Interlocked.Increment(ref _historyFailures);
    }
    public void AddDeadLettered(long n) => Interlocked.Add(ref _deadLettered, n);
    public void AddPointsWritten(long n) => Interlocked.Add(ref _pointsWritten, n);
    public void AddPointsRejected(long n) => Interlocked.Add(ref _pointsRejected, n);
    public void AddWriteFailure() => Interlocked.Increment(ref _writeFailures);
}
