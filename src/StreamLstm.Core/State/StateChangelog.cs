using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;

namespace StreamLstm.State;

/// <summary>
/// The state changelog on Kafka (<see cref="KafkaOptions.StateTopicName"/>), a compacted topic partitioned like the tick
/// topic: the records of input partition p go to changelog partition p, keyed by symbol, so the newest record of each
/// symbol is its state and a partition's states are read back from one changelog partition, as Kafka Streams restores a
/// store. Writes are idempotent and acknowledged by all in-sync replicas.
/// </summary>
public sealed partial class StateChangelog : IDisposable
{
    private readonly KafkaOptions _options;
    private readonly ILogger _logger;
    private readonly IProducer<byte[], byte[]?> _producer;
    private readonly KafkaLog _kafkaLog;
    private volatile bool _topicChecked;
    private Task? _creating;

    public StateChangelog(KafkaOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _kafkaLog = new KafkaLog(logger);
        _producer = KafkaProducers.Reliable<byte[], byte[]?>(options, _kafkaLog, lingerMs: 5);
    }

    /// <summary>The changelog's name.</summary>
    public string Topic => _options.StateTopicName;

    /// <summary>
    /// Whether the changelog can be written: it existed, or its creation was answered (or gave up, leaving it to the
    /// brokers' auto-creation at the first write).
    /// </summary>
    public bool Ready => _topicChecked && _creating is null or { IsCompleted: true };

    /// <summary>
    /// Makes sure the changelog exists, compacted, with as many partitions as the tick topic: checked at once, created in
    /// the background when missing (the stream does not wait for it; <see cref="Ready"/> says when it is done). Nothing
    /// happens while the tick topic does not exist yet: call again once partitions are assigned. A changelog with fewer
    /// partitions than the tick topic cannot hold every partition's state: that throws, naming both.
    /// </summary>
    public void Prepare(TimeSpan timeout)
    {
        if (_topicChecked) return;
        using var admin = Admin();
        // The whole cluster's metadata: asking for one topic by name may make a broker auto-create it, uncompacted.
        var metadata = admin.GetMetadata(timeout);
        int partitions = metadata.Topics.FirstOrDefault(t => t.Topic == _options.Topic && t.Error.Code == ErrorCode.NoError)?.Partitions.Count ?? 0;
        if (partitions == 0) return;
        var existing = metadata.Topics.FirstOrDefault(t => t.Topic == Topic && t.Error.Code == ErrorCode.NoError && t.Partitions.Count > 0);
        if (existing is not null)
        {
            if (existing.Partitions.Count < partitions)
                throw new InvalidOperationException($"the state topic {Topic} has {existing.Partitions.Count} partitions and the tick topic {_options.Topic} {partitions}: give it at least {partitions} (partition p holds the state of tick partition p), or set State:Enabled=false");
            _topicChecked = true;
            return;
        }
        short replicas = (short)Math.Min(3, Math.Max(1, metadata.Brokers.Count));
        _creating = Task.Run(() => Create(partitions, replicas, timeout));
        _topicChecked = true;
    }

    private void Create(int partitions, short replicas, TimeSpan timeout)
    {
        using var admin = Admin();
        try
        {
            bool answered = admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = Topic,
                NumPartitions = partitions,
                ReplicationFactor = replicas,
                Configs = new Dictionary<string, string> { ["cleanup.policy"] = "compact" },
            }], new CreateTopicsOptions { OperationTimeout = timeout, RequestTimeout = timeout }).Wait(timeout);
            if (answered) LogCreated(_logger, Topic, partitions, replicas);
            else LogNotCreated(_logger, Topic, $"no answer within {timeout}");
        }
        catch (AggregateException ex) when (ex.InnerException is CreateTopicsException create
            && create.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
        {
        }
        catch (Exception ex) when (ex is AggregateException or KafkaException)
        {
            // A broker that auto-creates topics makes it at the first write (uncompacted: create it by hand then).
            LogNotCreated(_logger, Topic, ex.GetBaseException().Message);
        }
    }

    private IAdminClient Admin() =>
        new AdminClientBuilder(new AdminClientConfig(KafkaClientSettings.Connection(_options.Consumer))
        {
            BootstrapServers = _options.BootstrapServers,
        }).SetLogHandler((_, message) => _kafkaLog.Log(message)).Build();

    /// <summary>
    /// The newest record of every symbol in the changelog partitions <paramref name="partitions"/>, read to their end;
    /// a partition without records has none. Throws <see cref="TimeoutException"/> when the changelog cannot be read to
    /// its end within <paramref name="timeout"/>.
    /// </summary>
    public Dictionary<int, List<KeyValuePair<string, byte[]>>> Read(IReadOnlyCollection<int> partitions, TimeSpan timeout)
    {
        var result = partitions.ToDictionary(p => p, _ => new List<KeyValuePair<string, byte[]>>());
        using var consumer = KafkaReaders.Create<byte[]?, byte[]?>(_options, "state-restore", _kafkaLog);
        var deadline = DateTime.UtcNow + timeout;
        var ends = new Dictionary<int, long>();
        // Only partitions the changelog has: asking a missing one for its offsets waits out the whole timeout.
        var existing = new HashSet<int>(Partitions(timeout));
        foreach (var partition in partitions.Where(existing.Contains))
        {
            WatermarkOffsets marks;
            try
            {
                marks = consumer.QueryWatermarkOffsets(new TopicPartition(Topic, partition), timeout);
            }
            catch (KafkaException ex) when (ex.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic or ErrorCode.Local_UnknownPartition)
            {
                continue;
            }
            if (marks.High.Value > marks.Low.Value) ends[partition] = marks.High.Value;
        }
        if (ends.Count == 0) return result;
        var latest = ends.Keys.ToDictionary(p => p, _ => new Dictionary<string, byte[]>(StringComparer.Ordinal));
        consumer.Assign(ends.Keys.Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        var remaining = new HashSet<int>(ends.Keys);
        while (remaining.Count > 0)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"the state topic {Topic} could not be read to its end within {timeout} (partitions {string.Join(",", remaining)} left)");
            var record = consumer.Consume(left);
            if (record is null) continue;
            int p = record.Partition.Value;
            if (!record.IsPartitionEOF && record.Message.Key is { } key)
            {
                var symbol = Encoding.UTF8.GetString(key);
                if (record.Message.Value is { } value) latest[p][symbol] = value;
                else latest[p].Remove(symbol);
            }
            if (record.IsPartitionEOF || record.Offset.Value >= ends[p] - 1) remaining.Remove(p);
        }
        foreach (var (p, records) in latest) result[p].AddRange(records);
        return result;
    }

    /// <summary>The changelog's partitions (none when it does not exist).</summary>
    public IReadOnlyList<int> Partitions(TimeSpan timeout)
    {
        using var admin = Admin();
        // The whole cluster's metadata: asking for the topic by name may make a broker auto-create it.
        var topic = admin.GetMetadata(timeout).Topics.FirstOrDefault(t => t.Topic == Topic && t.Error.Code == ErrorCode.NoError);
        return topic?.Partitions.Select(p => p.PartitionId).Order().ToList() ?? [];
    }

    /// <summary>
    /// Deletes the states of <paramref name="symbols"/> (a tombstone per partition and symbol, which compaction then
    /// removes with the records before it): their partition's next owner re-warms them from the history instead.
    /// Returns once every tombstone is acknowledged; throws <see cref="KafkaException"/> when one is not.
    /// </summary>
    public void Delete(IEnumerable<(int Partition, string Symbol)> symbols, TimeSpan timeout)
    {
        var pending = new List<Task<DeliveryResult<byte[], byte[]?>>>();
        foreach (var (partition, symbol) in symbols)
            pending.Add(_producer.ProduceAsync(new TopicPartition(Topic, partition), new Message<byte[], byte[]?> { Key = Encoding.UTF8.GetBytes(symbol), Value = null }));
        if (!Task.WhenAll(pending).Wait(timeout)) throw new TimeoutException($"the tombstones were not acknowledged by {Topic} within {timeout}");
    }

    /// <summary>
    /// Writes <paramref name="checkpoint"/>'s records, each to its partition; <paramref name="written"/> is called once
    /// all are acknowledged or one failed (with the first error, on the producer's thread).
    /// </summary>
    public void Write(StateCheckpoint checkpoint, Action<string?> written)
    {
        int outstanding = checkpoint.Records;
        if (outstanding == 0)
        {
            written(null);
            return;
        }
        string? failure = null;
        foreach (var partition in checkpoint.Partitions)
        {
            var target = new TopicPartition(Topic, partition.Partition);
            foreach (var (symbol, value) in partition.Records)
            {
                void Done(string? error)
                {
                    if (error is not null) Interlocked.CompareExchange(ref failure, error, null);
                    if (Interlocked.Decrement(ref outstanding) == 0) written(Volatile.Read(ref failure));
                }
                var message = new Message<byte[], byte[]?> { Key = Encoding.UTF8.GetBytes(symbol), Value = value };
                while (true)
                {
                    try
                    {
                        _producer.Produce(target, message, report => Done(report.Error.IsError ? report.Error.Reason : null));
                        break;
                    }
                    catch (ProduceException<byte[], byte[]?> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        // More records than the producer queues (queue.buffering.max.messages): wait for room.
                        _producer.Poll(TimeSpan.FromMilliseconds(100));
                    }
                    catch (ProduceException<byte[], byte[]?> ex)
                    {
                        Done(ex.Error.Reason);
                        break;
                    }
                }
            }
        }
    }

    /// <summary>Waits until every record written is acknowledged (or failed); false when some are still outstanding after <paramref name="timeout"/>.</summary>
    public bool Flush(TimeSpan timeout) => _producer.Flush(timeout) == 0;

    public void Dispose() => _producer.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the state topic {Topic}: {Partitions} partitions, {Replicas} replicas, compacted")]
    private static partial void LogCreated(ILogger logger, string topic, int partitions, short replicas);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The state topic {Topic} could not be created ({Reason}); if the brokers auto-create it at the first checkpoint it is not compacted: create it compacted, with as many partitions as the tick topic")]
    private static partial void LogNotCreated(ILogger logger, string topic, string reason);
}
