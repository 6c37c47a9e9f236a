using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;
using StreamLstm.Telemetry;

namespace StreamLstm.Sink;

/// <summary>Where points go: InfluxDB when <c>Influx:Url</c> is set, else a line-protocol file.</summary>
public static class PointSinks
{
    /// <summary>A factory for the pipeline: the sink, given how to acknowledge accepted positions.</summary>
    public static Func<Action<IReadOnlyList<SourcePosition>>, IPointSink> For(InfluxOptions influx, string lineFile, PipelineCounters counters, ILogger logger) =>
        string.IsNullOrWhiteSpace(influx.Url)
            ? ack => new LineFileSink(lineFile, ack, counters)
            : ack => new InfluxPointSink(influx, ack, counters, logger);

    /// <summary>Says where points go, for logs and summaries (never the token).</summary>
    public static string Destination(InfluxOptions influx, string lineFile) =>
        string.IsNullOrWhiteSpace(influx.Url) ? Path.GetFullPath(lineFile) : $"{influx.Url} bucket {influx.Bucket}";
}
