using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;
using StreamLstm.Telemetry;

namespace StreamLstm.Sink;

/// <summary>
/// Where points go: InfluxDB when <c>Influx:Url</c> is set, else a line-protocol file; and forecasts to
/// <c>Kafka:ForecastTopic</c> when it is set (then, without <c>Influx:Url</c>, there only).
/// </summary>
public static class PointSinks
{
    /// <summary>A factory for the pipeline: the sink, given how to acknowledge accepted positions.</summary>
    public static Func<Action<IReadOnlyList<SourcePosition>>, IPointSink> For(InfluxOptions influx, string lineFile, PipelineCounters counters, ILogger logger,
        KafkaOptions? kafka = null)
    {
        Func<Action<IReadOnlyList<SourcePosition>>, IPointSink> points = string.IsNullOrWhiteSpace(influx.Url)
            ? ack => new LineFileSink(lineFile, ack, counters)
            : ack => new InfluxPointSink(influx, ack, counters, logger);
        if (!PublishesForecasts(kafka)) return points;
        Func<Action<IReadOnlyList<SourcePosition>>, IPointSink> forecasts = ack => new KafkaForecastSink(kafka!, ack, counters, logger);
        return string.IsNullOrWhiteSpace(influx.Url) ? forecasts : ack => new CompositeSink([points, forecasts], ack);
    }

    /// <summary>Whether forecasts go to a forecast topic (<c>Kafka:ForecastTopic</c> set).</summary>
    public static bool PublishesForecasts(KafkaOptions? kafka) => !string.IsNullOrWhiteSpace(kafka?.ForecastTopic);

    /// <summary>Says where points go, for logs and summaries (never the token).</summary>
    public static string Destination(InfluxOptions influx, string lineFile, KafkaOptions? kafka = null)
    {
        var topic = PublishesForecasts(kafka) ? $"forecasts to Kafka topic {kafka!.ForecastTopic}" : null;
        if (string.IsNullOrWhiteSpace(influx.Url)) return topic ?? Path.GetFullPath(lineFile);
        var points = $"{influx.Url} bucket {influx.Bucket}";
        return topic is null ? points : $"{points}, and {topic}";
    }
}
