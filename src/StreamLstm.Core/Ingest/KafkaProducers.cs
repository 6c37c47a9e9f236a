using Confluent.Kafka;

namespace StreamLstm.Ingest;

/// <summary>The producers the worker writes with (dead letters, state, models, forecasts): all alike in what they guarantee.</summary>
public static class KafkaProducers
{
    /// <summary>
    /// An idempotent producer acknowledged by all in-sync replicas (so it neither loses nor duplicates nor reorders a
    /// partition's records through retries), with <c>Kafka:Producer:*</c> applied first, logging through
    /// <paramref name="log"/>; <paramref name="lingerMs"/>, when given, unless configured.
    /// </summary>
    public static IProducer<TKey, TValue> Reliable<TKey, TValue>(KafkaOptions options, KafkaLog log, int? lingerMs = null,
        Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig(new Dictionary<string, string>(options.Producer))
        {
            BootstrapServers = options.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
        };
        if (lingerMs is { } linger && !options.Producer.ContainsKey("linger.ms")) config.LingerMs = linger;
        configure?.Invoke(config);
        return new ProducerBuilder<TKey, TValue>(config)
            .SetErrorHandler((_, error) => log.Error(error))
            .SetLogHandler((_, message) => log.Log(message))
            .Build();
    }
}
