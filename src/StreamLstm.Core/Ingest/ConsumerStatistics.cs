using System.Globalization;
using System.Text.Json;

namespace StreamLstm.Ingest;

/// <summary>Reads what the worker needs from librdkafka's statistics JSON (<c>statistics.interval.ms</c>).</summary>
public static class ConsumerStatistics
{
    /// <summary>
    /// The consumer lag of each partition of <paramref name="topic"/> this consumer has a position in
    /// (<c>topics.TOPIC.partitions.N.consumer_lag</c>, in messages); partitions without one (-1: no position or no high
    /// watermark yet) and librdkafka's internal partition -1 are left out.
    /// </summary>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static IReadOnlyList<(int Partition, long Lag)> Lag(string json, string topic)
    {
        using var document = JsonDocument.Parse(json);
        var lags = new List<(int, long)>();
        if (!document.RootElement.TryGetProperty("topics", out var topics) || !topics.TryGetProperty(topic, out var entry)
            || !entry.TryGetProperty("partitions", out var partitions) || partitions.ValueKind != JsonValueKind.Object)
            return lags;
        foreach (var partition in partitions.EnumerateObject())
        {
            if (!int.TryParse(partition.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int id)) continue;
            if (!partition.Value.TryGetProperty("consumer_lag", out var lag) || !lag.TryGetInt64(out long messages) || messages < 0) continue;
            lags.Add((id, messages));
        }
        return lags;
    }
}
