using System.Text;
using Confluent.Kafka;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>A consumed Kafka message, with key, value and headers decoded as UTF-8 for assertions.</summary>
public sealed class KafkaRecord
{
    internal KafkaRecord(ConsumeResult<byte[]?, byte[]?> result)
    {
        Topic = result.Topic;
        Partition = result.Partition.Value;
        Offset = result.Offset.Value;
        RawKey = result.Message.Key;
        RawValue = result.Message.Value;
        Headers = (result.Message.Headers ?? [])
            .GroupBy(h => h.Key)
            .ToDictionary(g => g.Key, g => Encoding.UTF8.GetString(g.Last().GetValueBytes() ?? []));
        Timestamp = result.Message.Timestamp.UtcDateTime;
    }

    public string Topic { get; }

    public int Partition { get; }

    public long Offset { get; }

    public byte[]? RawKey { get; }

    public byte[]? RawValue { get; }

    public string? Key => RawKey is null ? null : Encoding.UTF8.GetString(RawKey);

    public string? Value => RawValue is null ? null : Encoding.UTF8.GetString(RawValue);

    /// <summary>Headers by name; where a name repeats, the last value (as Kafka clients read it).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    public DateTime Timestamp { get; }

    public override string ToString() => $"{Topic}[{Partition}]@{Offset} {Key}: {Value}";
}
