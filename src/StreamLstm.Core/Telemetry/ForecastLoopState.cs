namespace StreamLstm.Telemetry;

/// <summary>What the forecast loop is doing, for the liveness check.</summary>
public enum ForecastLoopState
{
    /// <summary>Not started yet (or starting: loading the model, joining the group).</summary>
    Starting,

    /// <summary>Waiting for ticks (nothing queued), a new model or a model event.</summary>
    Waiting,

    /// <summary>Forecasting a micro-batch, or handing a model over.</summary>
    Working,

    /// <summary>Waiting for room in the sink's queue: backpressure from a slow or unreachable sink, by design.</summary>
    WritingToSink,

    /// <summary>Ended (stopped, or failed).</summary>
    Stopped,
}
