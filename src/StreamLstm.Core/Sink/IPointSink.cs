namespace StreamLstm.Sink;

/// <summary>Where point batches go. Writing waits while the sink is full (backpressure).</summary>
public interface IPointSink
{
    /// <summary>Queues <paramref name="batch"/>; completes once it is queued, not when it is written.</summary>
    ValueTask WriteAsync(PointBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Writes and acknowledges everything queued, then releases the sink. Points still unwritten when
    /// <paramref name="cancellationToken"/> fires stay unacknowledged (a restart redoes them).
    /// </summary>
    Task CompleteAsync(CancellationToken cancellationToken);
}
