using Confluent.Kafka;

namespace StreamLstm.Ingest;

/// <summary>
/// librdkafka's mock cluster: an in-process Kafka cluster speaking the real wire protocol on 127.0.0.1 ports, for
/// <c>demo</c>, benchmarks and tests where no broker runs. It lives as long as this object. Topics are created on
/// first use with 4 partitions; it keeps only the most recent few MB per partition.
/// </summary>
public sealed class InProcessKafkaCluster : IDisposable
{
    private readonly IAdminClient _owner;

    public InProcessKafkaCluster(int brokers = 1)
    {
        _owner = new AdminClientBuilder(new AdminClientConfig(new Dictionary<string, string>
        {
            ["test.mock.num.brokers"] = brokers.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })).SetLogHandler((_, _) => { }).Build();
        var metadata = _owner.GetMetadata(TimeSpan.FromSeconds(10));
        BootstrapServers = string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
        if (BootstrapServers.Length == 0) throw new InvalidOperationException("the in-process Kafka cluster reported no brokers");
    }

    /// <summary><c>host:port</c> of every broker, for any client in this or another process.</summary>
    public string BootstrapServers { get; }

    /// <summary>
    /// Makes <paramref name="topic"/> exist, with 4 partitions each with a leader, before it returns. The mock cluster does
    /// not answer CreateTopics (so it cannot make a compacted topic); it creates a topic when a client asks for its metadata.
    /// </summary>
    public void CreateTopic(string topic, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var metadata = _owner.GetMetadata(topic, timeout).Topics.SingleOrDefault(t => t.Topic == topic);
            if (metadata is { Error.IsError: false, Partitions.Count: > 0 } && metadata.Partitions.All(p => p.Leader >= 0)) return;
            if (clock.Elapsed >= timeout) throw new TimeoutException($"the in-process Kafka cluster did not create topic '{topic}' within {timeout}");
            Thread.Sleep(50);
        }
    }

    public void Dispose() => _owner.Dispose();
}
