using Confluent.Kafka;
using StreamLstm.Ingest;
using StreamLstm.Ticks;

namespace StreamLstm.Pipeline;

/// <summary>
/// Reads back the ticks of a tick-topic partition that a worker's history is missing, as Kafka Streams restores a store:
/// a worker that takes a partition whose history file is not on its disk (or is behind) rebuilds it from the topic,
/// as far as the topic still holds it, before the partition's new ticks are appended. Messages that are not valid
/// ticks, or that are too far ahead of the clock, are left out, as the stream leaves them out.
/// </summary>
public static class HistoryBackfill
{
    /// <summary>
    /// The valid ticks of <paramref name="partition"/> from <paramref name="from"/> (or the oldest offset the topic
    /// still holds) up to, not including, <paramref name="until"/>, in order, with their offsets.
    /// </summary>
    public static List<(long Offset, Tick Tick)> Read(KafkaOptions options, int partition, long from, long until, TickSettings ticks,
        TimeProvider clock, TimeSpan timeout, CancellationToken cancel)
    {
        var result = new List<(long, Tick)>();
        using var consumer = KafkaReaders.Create<byte[]?, byte[]?>(options, "history-backfill", log: null);
        var topicPartition = new TopicPartition(options.Topic, partition);
        var marks = consumer.QueryWatermarkOffsets(topicPartition, timeout);
        long start = Math.Max(from, marks.Low.Value), end = Math.Min(until, marks.High.Value);
        if (start >= end) return result;
        consumer.Assign(new TopicPartitionOffset(topicPartition, start));
        var deadline = DateTime.UtcNow + timeout;
        while (!cancel.IsCancellationRequested)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"partition {partition} of {options.Topic} could not be read back from {start} to {end} within {timeout}");
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record is null) continue;
            if (record.IsPartitionEOF || record.Offset.Value >= end) break;
            if (TickParser.TryParse(record.Message.Value ?? [], out var tick, out _) && ticks.Ahead(tick.Timestamp, clock.GetUtcNow().UtcDateTime) is null)
                result.Add((record.Offset.Value, tick));
            if (record.Offset.Value >= end - 1) break;
        }
        return result;
    }
}
