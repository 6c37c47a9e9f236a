namespace StreamLstm.Sink;

/// <summary>What a failed write says, and so what the sink does about it.</summary>
internal enum InfluxWriteFaultKind
{
    /// <summary>No answer (network, timeout), 408, 429 or 5xx: retried with backoff behind the circuit breaker.</summary>
    Transient,

    /// <summary>
    /// 401, 403, 404 or any other answer that blames the request rather than its points (a token, org, bucket or URL
    /// that is wrong): retried with backoff for as long as it takes, nothing rejected.
    /// </summary>
    Configuration,

    /// <summary>413: the request is halved and each half written; only a single point still too large is rejected.</summary>
    TooLarge,

    /// <summary>400 or 422 (outside the retention policy): the points themselves; the refused ones are isolated by halving and rejected.</summary>
    PointsRefused,
}
