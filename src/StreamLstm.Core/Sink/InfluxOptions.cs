using System.ComponentModel.DataAnnotations;

namespace StreamLstm.Sink;

/// <summary>Where points go (configuration section <c>Influx</c>): the InfluxDB 2.x write API (2.x, 3.x and 1.8+ accept it).</summary>
public sealed class InfluxOptions
{
    /// <summary>Base URL, http or https (https for TLS). Unset means no InfluxDB.</summary>
    public string? Url { get; set; }

    /// <summary>API token. Never logged.</summary>
    public string? Token { get; set; }

    /// <summary>Organization.</summary>
    public string Org { get; set; } = "streamlstm";

    /// <summary>Bucket (with 1.8+, the database, optionally <c>db/rp</c>).</summary>
    public string Bucket { get; set; } = "ticks";

    /// <summary>Most points per write request. Default 5000.</summary>
    [Range(1, 1_000_000)]
    public int BatchPoints { get; set; } = 5000;

    /// <summary>
    /// Most points, of what is queued, sorted by series together before they are cut into requests of
    /// <see cref="BatchPoints"/>: InfluxDB takes points grouped by series faster, more so the more points of each series
    /// a request holds. Their source positions are acknowledged once all those requests are written. Default 100,000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int SortWindowPoints { get; set; } = 100_000;

    /// <summary>
    /// Write requests under way at once. Positions are acknowledged once their own requests are written, whatever the
    /// others do, and the offset stored never passes a tick whose points are not written. Default 2.
    /// </summary>
    [Range(1, 16)]
    public int MaxInFlight { get; set; } = 2;

    /// <summary>Longest a point waits for a fuller batch. Default 200 ms.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Batches queued for writing before the pipeline waits (backpressure). Default 64.</summary>
    [Range(1, 100_000)]
    public int QueueBatches { get; set; } = 64;

    /// <summary>
    /// Whether request bodies are sent gzip-compressed (<c>Content-Encoding: gzip</c>, the fastest level): about a third
    /// of the bytes for some CPU per point, worth it where the link to InfluxDB is slower than the points (see the README's
    /// e2e figures). Default false.
    /// </summary>
    public bool Gzip { get; set; }

    /// <summary>Time limit of one write request. Default 10 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Where points InfluxDB rejects for good are appended, with the reason. Default <c>rejected-points.lp</c>.</summary>
    public string RejectedPointsFile { get; set; } = "rejected-points.lp";

    /// <summary>Longest wait between retries while InfluxDB is unavailable. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open after repeated failures before a trial write. Default 5 s.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}
