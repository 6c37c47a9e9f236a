namespace StreamLstm.Sink;

/// <summary>Where point batches go. Writing waits while the sink is full (backpressure).</summary>
public interface IPointSink
{
    /// <summary>Queues <paramref name="batch"/>; completes once it is queued, not when it is written.</summary>
    ValueTask WriteAsync(PointBatch batch, CancellationToken cancellationToken);
}
