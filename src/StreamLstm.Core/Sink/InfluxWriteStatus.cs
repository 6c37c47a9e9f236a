namespace StreamLstm.Sink;

/// <summary>
/// How the InfluxDB sink's writes go, for a readiness check: a snapshot, replaced as a whole (never changed) as writes
/// succeed and fail, so it is safe to read from any thread. Nothing in it contains the token.
/// </summary>
public sealed record InfluxWriteStatus
{
    /// <summary>
    /// The circuit breaker is open or half-open: InfluxDB failed repeatedly (network, timeouts, 429, 5xx) and writes wait
    /// for a trial. False at start.
    /// </summary>
    public bool CircuitOpen { get; init; }

    /// <summary>
    /// While InfluxDB refuses writes for a reason of the configuration (401, 403, 404: a token, org or bucket that is
    /// wrong), what it answered, e.g. <c>InfluxDB answered 401 Unauthorized: unauthorized access</c>; the stream waits
    /// meanwhile. Null at start and once a write succeeds.
    /// </summary>
    public string? ConfigurationFault { get; init; }

    /// <summary>When a write last succeeded (UTC); null until one has.</summary>
    public DateTime? LastSuccessUtc { get; init; }

    /// <summary>When a write attempt last failed (UTC), whatever the reason; null until one has.</summary>
    public DateTime? LastFailureUtc { get; init; }

    /// <summary>Why that attempt failed, e.g. <c>HTTP 503 Service Unavailable: down for maintenance</c>.</summary>
    public string? LastFailure { get; init; }

    /// <summary>Failed write attempts since the last write that succeeded (0 at start).</summary>
    public long FailuresSinceSuccess { get; init; }
}
