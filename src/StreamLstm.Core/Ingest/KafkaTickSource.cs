using System.Text;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamLstm.Telemetry;

namespace StreamLstm.Ingest;

/// <summary>
/// Consumes the tick topic in a consumer group on its own thread. Valid ticks go to a bounded queue (when it is full,
/// the assigned partitions are paused, not the group membership); unusable messages go to the dead-letter topic with
/// the reason and their origin, and so do ticks that <see cref="TickAdmission"/> refuses (from the future, or of a new
/// symbol beyond the bound). Offsets are stored only when the message is done: its points accepted by the sink
/// (<see cref="Acknowledge"/>) or its dead letter acknowledged by the broker; auto-commit then commits stored offsets.
/// </summary>
public sealed partial class KafkaTickSource : IDisposable
{
    private readonly KafkaOptions _options;
    private readonly ChannelWriter<IngestedTick> _output;
    private readonly PipelineCounters _counters;
    private readonly ILogger _logger;
    private OffsetTracker _tracker = new();
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly IProducer<byte[]?, byte[]?> _deadLetters;
    private readonly Queue<ConsumeResult<byte[]?, byte[]?>> _stash = new();
    private readonly TickAdmission _admission;
    private readonly KafkaLog _kafkaLog;
    // One warning per dead letter would drown the log when a producer sends garbage: at most one per interval, with the count.
    private readonly LogRateLimit _deadLetterLog = new(TimeSpan.FromSeconds(10));
    private readonly Lock _storing = new();
    // Partitions assigned now, kept by the rebalance handlers (which run on the consume thread).
    private readonly HashSet<int> _assigned = [];
    // Per partition, how many times it was revoked or lost: the epoch of the positions consumed now (written by the
    // consume thread, read by the forecast loop).
    private int[] _epochs = new int[16];
    // Partitions held back until their history is rebuilt: their messages wait here, in order, with the ownership they
    // belong to (consume thread only); past HoldLimit the partition is paused as well.
    private readonly Dictionary<int, (int Epoch, Queue<ConsumeResult<byte[]?, byte[]?>> Waiting)> _held = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<(int Partition, int Epoch)> _released = new();
    private long _symbolRefusalLoggedAt = long.MinValue;
    private long _symbolRefusalsLogged;

    /// <summary>How often refusals of new symbols beyond the bound are logged at most (a flood would drown the log).</summary>
    internal static readonly TimeSpan SymbolRefusalLogInterval = TimeSpan.FromMinutes(1);

    public KafkaTickSource(KafkaOptions options, ChannelWriter<IngestedTick> output, PipelineCounters counters, ILogger logger,
        TickAdmission admission, Action<IReadOnlyList<int>>? partitionsDropped = null, Action<IReadOnlyList<int>>? partitionsAssigned = null)
    {
        _admission = admission;
        _kafkaLog = new KafkaLog(logger);
        _options = options;
        _output = output;
        _counters = counters;
        _logger = logger;
        // Low-latency fetching unless configured otherwise: the broker answers a fetch after at most 10 ms. Once the
        // messages prefetched into the consumer's queue (all partitions together) exceed queued.min.messages, 100,000
        // by default, librdkafka postpones each partition's next fetch by fetch.queue.backoff.ms, 1 s by default: above
        // 100,000 ticks/s the queue runs dry well within that second and consumption stalls for the rest of it.
        // Looking again after 10 ms keeps the prefetch topped up; a look that finds the queue still full sends nothing.
        var consumerSettings = new Dictionary<string, string>
        {
            ["fetch.wait.max.ms"] = "10",
            ["fetch.queue.backoff.ms"] = "10",
            // Incremental rebalancing: partitions that stay with this worker keep their state and keep being forecast
            // while others move (eager assignment revokes every partition of every member at each rebalance).
            ["partition.assignment.strategy"] = "cooperative-sticky",
            // Consumer lag per partition comes from librdkafka's statistics.
            ["statistics.interval.ms"] = StatisticsIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in options.Consumer) consumerSettings[key] = value;
        var consumerConfig = new ConsumerConfig(consumerSettings)
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.GroupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
        };
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(consumerConfig)
            .SetPartitionsAssignedHandler((_, assigned) =>
            {
                LogAssigned(_logger, string.Join(",", assigned.Select(p => p.Partition.Value)));
                foreach (var p in assigned) _assigned.Add(p.Partition.Value);
                _counters.AssignedPartitions = _assigned.Count;
                _counters.AddRebalance("assigned");
                _counters.TopicMissing = false;
                partitionsAssigned?.Invoke(assigned.Select(p => p.Partition.Value).ToList());
            })
            .SetPartitionsRevokedHandler((_, revoked) =>
            {
                var partitions = revoked.Select(p => p.Partition.Value).ToList();
                LogRevoked(_logger, string.Join(",", partitions));
                // The next owner starts from what is committed now: the offsets of this worker's last durable
                // checkpoint (or its acknowledged points), not those of the last auto-commit.
                CommitStored();
                Drop(partitions, "revoked");
            })
            .SetPartitionsLostHandler((_, lost) =>
            {
                var partitions = lost.Select(p => p.Partition.Value).ToList();
                LogLost(_logger, string.Join(",", partitions));
                Drop(partitions, "lost");
            })
            .SetStatisticsHandler((_, json) => ReadStatistics(json))
            .SetErrorHandler((_, error) => _kafkaLog.Error(error))
            .SetLogHandler((_, message) => _kafkaLog.Log(message))
            .Build();
        _deadLetters = KafkaProducers.Reliable<byte[]?, byte[]?>(options, _kafkaLog);

        // Revoked and lost partitions alike: their offsets are no longer ours to store and their symbols' state goes.
        void Drop(List<int> partitions, string kind)
        {
            _counters.AddRebalance(kind);
            foreach (var p in partitions) NextEpoch(p);
            _assigned.ExceptWith(partitions);
            _counters.AssignedPartitions = _assigned.Count;
            _counters.ForgetPartitions(partitions);
            _tracker.Forget(partitions);
            _admission.Forget(partitions);
            foreach (var p in partitions) _held.Remove(p);
            partitionsDropped?.Invoke(partitions);
        }
    }

    /// <summary>How often librdkafka reports its statistics (consumer lag), unless <c>Kafka:Consumer:statistics.interval.ms</c> says otherwise.</summary>
    internal const int StatisticsIntervalMs = 5000;

    private void ReadStatistics(string json)
    {
        try
        {
            foreach (var (partition, lag) in ConsumerStatistics.Lag(json, _options.Topic)) _counters.SetLag(partition, lag);
        }
        catch (System.Text.Json.JsonException ex)
        {
            LogStatisticsUnreadable(_logger, ex.Message);
        }
    }

    /// <summary>
    /// Whether <paramref name="position"/> was consumed in the partition's current ownership: false for ticks still
    /// queued when their partition was revoked or lost (they are discarded; the next owner consumes them again).
    /// </summary>
    public bool IsCurrent(SourcePosition position) => Epoch(position.Partition) == position.Epoch;

    /// <summary>The ownership (epoch) <paramref name="partition"/> is consumed in now.</summary>
    public int Epoch(int partition)
    {
        var epochs = Volatile.Read(ref _epochs);
        return partition < epochs.Length ? Volatile.Read(ref epochs[partition]) : 0;
    }

    private void NextEpoch(int partition)
    {
        if (partition >= _epochs.Length)
        {
            var grown = new int[Math.Max(partition + 1, _epochs.Length * 2)];
            _epochs.CopyTo(grown, 0);
            Volatile.Write(ref _epochs, grown);
        }
        Volatile.Write(ref _epochs[partition], _epochs[partition] + 1);
    }

    /// <summary>Partitions currently assigned to this worker.</summary>
    public IReadOnlyList<int> Assignment => _consumer.Assignment.Select(p => p.Partition.Value).ToList();

    /// <summary>Runs the consume loop on a dedicated thread until <paramref name="stopping"/> fires; then leaves the group cleanly.</summary>
    public Task RunAsync(CancellationToken stopping) =>
        Task.Factory.StartNew(() => ConsumeLoop(stopping), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Whether offsets are stored (for the next commit) as soon as messages are done. False while state checkpoints
    /// are on: then an offset is stored only once a checkpoint covering the ticks before it is in the changelog
    /// (<see cref="Checkpointed"/>), so the committed offsets never run ahead of the state. Default true.
    /// </summary>
    public bool StoreWhenDone
    {
        get => !_tracker.Gated;
        init => _tracker = new OffsetTracker(gated: !value);
    }

    /// <summary>Marks positions done (their points were accepted) and, unless checkpoints decide, stores the offsets that advanced.</summary>
    public void Acknowledge(IReadOnlyList<SourcePosition> positions)
    {
        // Sinks, dead letters and checkpoints acknowledge from several threads: what the tracker reports is stored in
        // the order it was reported, or a smaller offset could be stored after a larger one.
        lock (_storing)
        {
            foreach (var next in _tracker.Complete(positions)) Store(next.Partition, next.Offset);
        }
    }

    /// <summary>One past the longest done prefix of <paramref name="partition"/> consumed in ownership <paramref name="epoch"/> (-1: none).</summary>
    public long DoneBefore(int partition, int epoch) => _tracker.DoneBefore(partition, epoch);

    /// <summary>
    /// A checkpoint covering <paramref name="partition"/>'s ticks through <paramref name="through"/>, consumed in
    /// ownership <paramref name="epoch"/>, is in the changelog: stores the offset it allows for the next commit, unless
    /// the partition moved since.
    /// </summary>
    public void Checkpointed(int partition, int epoch, long through)
    {
        lock (_storing)
        {
            if (Epoch(partition) == epoch && _tracker.Checkpointed(partition, epoch, through) is { } next) Store(partition, next.Offset);
        }
    }

    private void Store(int partition, long next)
    {
        try
        {
            _consumer.StoreOffset(new TopicPartitionOffset(_options.Topic, partition, next));
        }
        catch (KafkaException ex)
        {
            // The partition was revoked meanwhile: its next owner resumes from the last stored offset.
            LogStoreFailed(_logger, partition, next, ex.Error.Reason);
        }
    }

    private void ConsumeLoop(CancellationToken stopping)
    {
        _consumer.Subscribe(_options.Topic);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                if (_held.Count > 0) ApplyReleases(stopping);
                var result = _stash.Count > 0 ? _stash.Dequeue() : Consume(stopping);
                if (result is null || result.IsPartitionEOF) continue;
                if (_held.TryGetValue(result.Partition.Value, out var held))
                {
                    held.Waiting.Enqueue(result);
                    if (held.Waiting.Count >= HoldLimit) _consumer.Pause([result.TopicPartition]);
                    continue;
                }
                Handle(result, stopping);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _deadLetters.Flush(TimeSpan.FromSeconds(10));
            _output.TryComplete();
        }
    }

    /// <summary>
    /// After the consume loop ended and the sink acknowledged what it wrote: commits the stored offsets and leaves the
    /// group, so the partitions move to another worker at once.
    /// </summary>
    public void CommitAndClose()
    {
        CommitStored();
        try
        {
            _consumer.Close();
        }
        catch (KafkaException ex)
        {
            _kafkaLog.Error(ex.Error);
        }
    }

    private void CommitStored()
    {
        try
        {
            _consumer.Commit();
        }
        catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_NoOffset)
        {
        }
        catch (KafkaException ex)
        {
            _kafkaLog.Error(ex.Error);
        }
    }

    private ConsumeResult<byte[]?, byte[]?>? Consume(CancellationToken stopping)
    {
        try
        {
            // While partitions are held a release must be noticed even if nothing else arrives.
            return _held.Count > 0 ? _consumer.Consume(TimeSpan.FromMilliseconds(50)) : _consumer.Consume(stopping);
        }
        catch (ConsumeException ex) when (!ex.Error.IsFatal)
        {
            // A topic that does not exist yet, a broker restarting: log and keep polling.
            if (ex.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic) _counters.TopicMissing = true;
            _kafkaLog.Error(ex.Error);
            return null;
        }
    }

    private void Handle(ConsumeResult<byte[]?, byte[]?> result, CancellationToken stopping)
    {
        var position = new SourcePosition(result.Partition.Value, result.Offset.Value, Epoch(result.Partition.Value));
        long received = System.Diagnostics.Stopwatch.GetTimestamp();
        _counters.MarkTick(position.Partition, received);
        var value = result.Message.Value ?? [];
        if (!TickParser.TryParse(value, out var tick, out var error))
        {
            _tracker.Track(position, tick: false);
            SendToDeadLetters(result, position, error!);
            return;
        }
        if (_admission.Admit(tick, position.Partition) is { } refusal)
        {
            _tracker.Track(position, tick: false);
            Refuse(result, position, refusal);
            return;
        }
        _tracker.Track(position);
        var item = new IngestedTick(tick, position, received);
        if (_output.TryWrite(item)) return;

        // The forecaster is behind. A short wait for room is the common case under load and keeps the fetch pipeline
        // flowing; only a longer stall (the sink slow or down) pauses the partitions, still polling so the group
        // membership stays alive, until the queue has room.
        if (WaitForRoom(PauseAfter, stopping) && _output.TryWrite(item)) return;
        var paused = _consumer.Assignment;
        _consumer.Pause(paused);
        _counters.Paused = true;
        LogPaused(_logger);
        try
        {
            while (!_output.TryWrite(item))
            {
                stopping.ThrowIfCancellationRequested();
                var polled = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (polled is not null && !polled.IsPartitionEOF) _stash.Enqueue(polled);
            }
        }
        finally
        {
            // Partitions held back for their history stay paused if they were.
            _consumer.Resume(_consumer.Assignment.Where(p => !_held.TryGetValue(p.Partition.Value, out var held) || held.Waiting.Count < HoldLimit));
            _counters.Paused = false;
            LogResumed(_logger);
        }
    }

    /// <summary>Messages of a held partition kept waiting before the partition is paused too.</summary>
    internal const int HoldLimit = 10_000;

    /// <summary>
    /// In the assignment handler: holds <paramref name="partitions"/> back until <see cref="Release"/> (their messages
    /// wait, in order, and are handed over then), while the other partitions flow.
    /// </summary>
    public void Hold(IEnumerable<int> partitions)
    {
        foreach (var partition in partitions) _held[partition] = (Epoch(partition), new Queue<ConsumeResult<byte[]?, byte[]?>>());
    }

    /// <summary>Lets a held partition flow again (any thread), unless it moved since ownership <paramref name="epoch"/>.</summary>
    public void Release(int partition, int epoch) => _released.Enqueue((partition, epoch));

    private void ApplyReleases(CancellationToken stopping)
    {
        while (_released.TryDequeue(out var release))
        {
            if (!_held.TryGetValue(release.Partition, out var held) || held.Epoch != release.Epoch) continue;
            _held.Remove(release.Partition);
            bool paused = held.Waiting.Count >= HoldLimit;
            while (held.Waiting.TryDequeue(out var waiting)) Handle(waiting, stopping);
            if (paused) _consumer.Resume([new TopicPartition(_options.Topic, release.Partition)]);
        }
    }

    /// <summary>The offsets the group has committed for <paramref name="partitions"/> (-1: none), from the brokers.</summary>
    public Dictionary<int, long> Committed(IReadOnlyList<int> partitions, TimeSpan timeout) =>
        _consumer.Committed(partitions.Select(p => new TopicPartition(_options.Topic, p)), timeout)
            .ToDictionary(c => c.Partition.Value, c => c.Offset.IsSpecial ? -1 : c.Offset.Value);

    /// <summary>How long a full queue is waited on before the partitions are paused.</summary>
    internal static readonly TimeSpan PauseAfter = TimeSpan.FromSeconds(2);

    private bool WaitForRoom(TimeSpan limit, CancellationToken stopping)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        wait.CancelAfter(limit);
        try
        {
            return _output.WaitToWriteAsync(wait.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            stopping.ThrowIfCancellationRequested();
            return false;
        }
    }

    private void Refuse(ConsumeResult<byte[]?, byte[]?> result, SourcePosition position, TickAdmission.Refusal refusal)
    {
        if (refusal.Kind == TickAdmission.RefusalKind.Future)
        {
            _counters.AddFutureTick();
            SendToDeadLetters(result, position, refusal.Reason);
            return;
        }
        long refused = _counters.AddSymbolRefused();
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_symbolRefusalLoggedAt == long.MinValue
            || System.Diagnostics.Stopwatch.GetElapsedTime(_symbolRefusalLoggedAt, now) >= SymbolRefusalLogInterval)
        {
            LogSymbolsRefused(_logger, refused - _symbolRefusalsLogged, refused, _admission.MaxSymbols, refusal.Reason);
            _symbolRefusalLoggedAt = now;
            _symbolRefusalsLogged = refused;
        }
        SendToDeadLetters(result, position, refusal.Reason, log: false);
    }

    private void SendToDeadLetters(ConsumeResult<byte[]?, byte[]?> result, SourcePosition position, string error, bool log = true)
    {
        var headers = new Headers();
        if (result.Message.Headers is { } original)
            foreach (var header in original) headers.Add(header.Key, header.GetValueBytes());
        headers.Add("error", Encoding.UTF8.GetBytes(error));
        headers.Add("source-topic", Encoding.UTF8.GetBytes(result.Topic));
        headers.Add("source-partition", Encoding.UTF8.GetBytes(position.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        headers.Add("source-offset", Encoding.UTF8.GetBytes(position.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (log && _deadLetterLog.ShouldLog("dead-letter", out long suppressed)) LogDeadLetter(_logger, position.Partition, position.Offset, error, suppressed);
        _deadLetters.Produce(_options.DeadLetterTopic, new Message<byte[]?, byte[]?> { Key = result.Message.Key, Value = result.Message.Value, Headers = headers }, report =>
        {
            if (report.Error.IsError)
            {
                // Left unacknowledged: no offset past it is stored, so a restart retries it.
                LogDeadLetterFailed(_logger, position.Partition, position.Offset, report.Error.Reason);
                return;
            }
            _counters.AddDeadLettered(1);
            Acknowledge([position]);
        });
    }

    public void Dispose()
    {
        _consumer.Dispose();
        _deadLetters.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Partitions assigned: {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partitions revoked: {Partitions}")]
    private static partial void LogRevoked(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partitions lost: {Partitions}")]
    private static partial void LogLost(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message at partition {Partition} offset {Offset} goes to the dead-letter topic: {Error} ({Suppressed} more dead letters since the last line)")]
    private static partial void LogDeadLetter(ILogger logger, int partition, long offset, string error, long suppressed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} ticks of new symbols went to the dead-letter topic ({Total} so far): the worker keeps state for at most Serving:MaxSymbols ({Max}) symbols; latest: {Reason}")]
    private static partial void LogSymbolsRefused(ILogger logger, long count, long total, int max, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dead letter for partition {Partition} offset {Offset} was not written ({Reason}); its offset is not stored")]
    private static partial void LogDeadLetterFailed(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Offset {Offset} of partition {Partition} not stored: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, int partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "librdkafka statistics could not be read ({Reason}); consumer lag is not updated")]
    private static partial void LogStatisticsUnreadable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forecaster queue full: consumption paused")]
    private static partial void LogPaused(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumption resumed")]
    private static partial void LogResumed(ILogger logger);
}
