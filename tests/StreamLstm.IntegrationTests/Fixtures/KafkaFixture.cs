using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Testcontainers.Kafka;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>
/// A real Kafka cluster speaking the wire protocol on loopback ports. With a Docker engine: the Apache Kafka image
/// via Testcontainers. Without one: librdkafka's mock cluster (3 brokers), owned by an admin client that lives as long
/// as the fixture; other clients, in this process or another, connect to it through <see cref="BootstrapServers"/>.
/// Either way, topics are auto-created with <see cref="Partitions"/> partitions.
/// </summary>
public sealed class KafkaFixture : IAsyncLifetime
{
    public const string DockerBackend = "testcontainers-kafka";
    public const string LocalBackend = "librdkafka-mock-cluster";
    public const string DockerImage = "apache/kafka:3.9.1";

    /// <summary>Partitions of every auto-created topic (librdkafka's mock cluster has 4, fixed; the container is set to match).</summary>
    public const int Partitions = 4;

    private static readonly TimeSpan LocalStartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DockerStartTimeout = TimeSpan.FromMinutes(3);

    private KafkaContainer? _container;
    private IAdminClient? _admin;
    private IProducer<byte[]?, byte[]?>? _producer;

    public string BootstrapServers { get; private set; } = "";

    public string Backend { get; private set; } = "not started";

    private IAdminClient Admin => _admin ?? throw new InvalidOperationException("The Kafka fixture is not started.");

    private IProducer<byte[]?, byte[]?> Producer => _producer ?? throw new InvalidOperationException("The Kafka fixture is not started.");

    public async Task InitializeAsync()
    {
        try
        {
            if (BackendChoice.UseDocker())
            {
                await StartContainerAsync().ConfigureAwait(false);
            }
            else
            {
                StartMockCluster();
            }

            _producer = new ProducerBuilder<byte[]?, byte[]?>(ProducerConfig()).Build();
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private void StartMockCluster()
    {
        // This client owns the cluster: the brokers exist for as long as it is not disposed.
        var owner = new AdminClientConfig();
        owner.Set("test.mock.num.brokers", "3");
        _admin = new AdminClientBuilder(owner).Build();
        var metadata = _admin.GetMetadata(LocalStartTimeout);
        if (metadata.Brokers.Count == 0)
        {
            throw new InvalidOperationException("librdkafka's mock cluster reported no brokers.");
        }

        BootstrapServers = string.Join(',', metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
        Backend = LocalBackend;
    }

    private async Task StartContainerAsync()
    {
        _container = new KafkaBuilder(DockerImage)
            .WithEnvironment("KAFKA_NUM_PARTITIONS", Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Build();
        using var timeout = new CancellationTokenSource(DockerStartTimeout);
        try
        {
            await _container.StartAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"The {DockerImage} container did not start within {DockerStartTimeout.TotalMinutes} min.");
        }

        BootstrapServers = _container.GetBootstrapAddress();
        _admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        Backend = DockerBackend;
    }

    public ProducerConfig ProducerConfig() => new()
    {
        BootstrapServers = BootstrapServers,
        Acks = Acks.All,
        EnableIdempotence = true,
        LingerMs = 5,
    };

    /// <summary>
    /// A consumer that starts from the earliest offset, as the product's does. The session timeout is the brokers'
    /// minimum because librdkafka's mock cluster ignores LeaveGroup: a member that joins after another one left is
    /// assigned partitions only once the leaver's session expires (seen: 44 s with the default 45 s, 5 s with 6 s).
    /// </summary>
    public ConsumerConfig ConsumerConfig(string groupId) => new()
    {
        BootstrapServers = BootstrapServers,
        GroupId = groupId,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = true,
        SessionTimeoutMs = 6000,
        HeartbeatIntervalMs = 1000,
    };

    /// <summary>The offsets group <paramref name="groupId"/> has committed for <paramref name="topic"/>'s partitions, summed (unset ones count 0).</summary>
    public long Committed(string groupId, string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = groupId }).Build();
        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p));
        return consumer.Committed(partitions, TimeSpan.FromSeconds(10)).Sum(c => Math.Max(0, c.Offset.Value));
    }

    public string CreateTopicName(string prefix = "it") => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>A new topic with <see cref="Partitions"/> partitions, each with a leader, before this returns.</summary>
    public async Task<string> CreateTopicAsync(string prefix = "it")
    {
        var topic = CreateTopicName(prefix);
        if (_container is not null)
        {
            await Admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = 1 }])
                .ConfigureAwait(false);
        }

        // The mock cluster times out on CreateTopics but creates a topic when a client asks for its metadata.
        await Poll.UntilAsync(
            _ =>
            {
                var metadata = Admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.SingleOrDefault(t => t.Topic == topic);
                return Task.FromResult(metadata is { Error.IsError: false } && metadata.Partitions.Count == Partitions
                    && metadata.Partitions.All(p => p.Leader >= 0));
            },
            TimeSpan.FromSeconds(30),
            $"topic '{topic}' having {Partitions} partitions with leaders").ConfigureAwait(false);
        return topic;
    }

    /// <summary>Publishes one message (UTF-8 key, value and headers) and waits for the cluster's acknowledgement.</summary>
    public Task<DeliveryResult<byte[]?, byte[]?>> ProduceAsync(
        string topic, string? key, string? value, IEnumerable<KeyValuePair<string, string>>? headers = null) =>
        ProduceBytesAsync(
            topic,
            key is null ? null : Encoding.UTF8.GetBytes(key),
            value is null ? null : Encoding.UTF8.GetBytes(value),
            headers);

    /// <summary>Publishes raw bytes, for messages that are not valid UTF-8 or JSON on purpose.</summary>
    public Task<DeliveryResult<byte[]?, byte[]?>> ProduceBytesAsync(
        string topic, byte[]? key, byte[]? value, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var message = new Message<byte[]?, byte[]?> { Key = key, Value = value };
        if (headers is not null)
        {
            message.Headers = [];
            foreach (var (name, text) in headers)
            {
                message.Headers.Add(name, Encoding.UTF8.GetBytes(text));
            }
        }

        return Producer.ProduceAsync(topic, message);
    }

    /// <summary>
    /// Reads <paramref name="topic"/> as member of <paramref name="groupId"/> from the group's committed offsets (the
    /// earliest for a new group) until <paramref name="expectedCount"/> messages arrived or <paramref name="timeout"/>
    /// passed, commits what it read and leaves the group. Returns what it read: fewer than expected means a timeout.
    /// </summary>
    public IReadOnlyList<KafkaRecord> ConsumeAll(string topic, string groupId, int expectedCount, TimeSpan timeout)
    {
        var records = new List<KafkaRecord>(expectedCount);
        var config = ConsumerConfig(groupId);
        config.EnableAutoCommit = false;
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).Build();
        consumer.Subscribe(topic);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (records.Count < expectedCount && clock.Elapsed < timeout)
        {
            try
            {
                var left = timeout - clock.Elapsed;
                var result = consumer.Consume(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
                if (result is { IsPartitionEOF: false, Message: not null })
                {
                    records.Add(new KafkaRecord(result));
                }
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                // A topic not created yet is reported as an error; it is waited for, like the product does.
            }
        }

        if (records.Count > 0)
        {
            consumer.Commit();
        }

        consumer.Close();
        return records;
    }

    public async Task DisposeAsync()
    {
        if (_producer is not null)
        {
            _producer.Flush(TimeSpan.FromSeconds(5));
            _producer.Dispose();
        }

        // With the mock cluster this client owns the brokers, so it goes after the producer.
        _admin?.Dispose();
        if (_container is not null)
        {
            await _container.DisposeAsync().ConfigureAwait(false);
        }
    }
}
