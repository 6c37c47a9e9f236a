using Confluent.Kafka;

namespace StreamLstm.Ingest;

/// <summary>
/// Consumers that read a topic's partitions by assignment, outside the consumer group (restoring state, following the
/// model store, rebuilding a history): nothing committed, the end of each partition reported, fetches answered quickly.
/// </summary>
public static class KafkaReaders
{
    /// <summary>
    /// A reader with the connection settings of <c>Kafka:Consumer:*</c>; <paramref name="purpose"/> names its group id
    /// (<c>{Kafka:GroupId}.{purpose}</c>, for the brokers' logs; it never joins the group). Null <paramref name="log"/>:
    /// librdkafka's lines are dropped.
    /// </summary>
    public static IConsumer<TKey, TValue> Create<TKey, TValue>(KafkaOptions options, string purpose, KafkaLog? log, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig(KafkaClientSettings.Connection(options.Consumer))
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = $"{options.GroupId}.{purpose}",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            EnablePartitionEof = true,
            FetchWaitMaxMs = 10,
        };
        configure?.Invoke(config);
        var builder = new ConsumerBuilder<TKey, TValue>(config);
        if (log is null) return builder.SetLogHandler((_, _) => { }).Build();
        return builder.SetErrorHandler((_, error) => log.Error(error)).SetLogHandler((_, message) => log.Log(message)).Build();
    }
}
