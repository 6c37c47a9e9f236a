using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;
using StreamLstm.Telemetry;
using static StreamLstm.Model.ModelVersionFiles;

namespace StreamLstm.Model;

/// <summary>
/// The model store on a compacted Kafka topic (<c>Kafka:ModelTopic</c>), shared by every worker of a group: one model
/// for the whole group, promoted once, served by all. Everything is on partition 0 (the topic is created with one
/// partition, compacted, when missing), so all records are in one total order that every reader sees alike. Records
/// (each with a key of its own, see <see cref="ModelRecordKeys"/>):
/// <list type="bullet">
/// <item><c>weights/&lt;upload&gt;/&lt;n&gt;</c>: the version's <c>weights.bin</c> in chunks of <see cref="ChunkBytes"/>
/// (512 KiB: Kafka refuses records over about 1 MB by default), so a model of any size fits; reassembled in order and
/// checked against the size and SHA-256 in its metadata when loaded.</item>
/// <item><c>version/vN/&lt;upload&gt;</c>: the manifest, written once all chunks are acknowledged: <c>config.json</c>,
/// <c>metadata.json</c> and the chunk count (<see cref="ModelManifestRecord"/>). It claims id vN.</item>
/// <item><c>current/&lt;proposal&gt;</c>: a switch of the current version, with the generation its writer saw
/// (<see cref="ModelSwitchRecord"/>); the accepted ones are the history.</item>
/// </list>
/// Claims (an id, a switch) are decided first-writer-wins by <see cref="ModelLog"/>: a writer produces its claim, reads
/// the partition back up to its own record (acknowledged by all in-sync replicas, so below the high watermark every
/// reader reads to) and folds it; the claim won when no claim from the same view precedes it. The partition's order is
/// total and the fold depends on nothing else, so the winner and every other reader, now or later, agree; a loser
/// withdraws its claim (a tombstone) and tries again from the new view, or, for a switch made against an expected
/// current version that is no longer current, is refused with <see cref="ModelStoreConflictException"/>. That is a
/// compare-and-swap on the current version: two trainers promoting from the same champion cannot both win, and a
/// trainer that trained against a champion someone replaced meanwhile cannot overwrite the replacement. Compaction
/// keeps this true (see <see cref="ModelLog"/>): no two writers ever share a key, and pruning removes records in an
/// order the fold does not notice. A worker reads the topic to its end when it starts; it stays assigned to the
/// partition and reads only what is new at each later call (the pipeline polls <see cref="CurrentVersion"/> every
/// <c>Model:FollowInterval</c>). Reads of the state (<see cref="CurrentVersion"/>, <see cref="Versions"/>,
/// <see cref="History"/>, loading) go on with what was read last while the brokers cannot be reached (a warning at
/// most once a minute); writes fail with <see cref="ModelStoreException"/>. Every live version's weights are held in
/// memory. Thread-safe.
/// </summary>
public sealed partial class KafkaModelStore : IModelStore
{
    /// <summary>The partition every record goes to.</summary>
    public const int Partition = 0;

    /// <summary>Bytes of <c>weights.bin</c> per record, unless set: well under Kafka's default limit of about 1 MB a record.</summary>
    public const int DefaultChunkBytes = 512 * 1024;

    /// <summary>Switches the history keeps (older ones are removed by <see cref="Prune"/>).</summary>
    public const int KeptSwitches = 100;

    /// <summary>How long one read to the end, one write or creating the topic may take, unless set.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Chunks of an upload no manifest names are removed by <see cref="Prune"/> once this old (a writer died midway).</summary>
    public static readonly TimeSpan AbandonedUploadAge = TimeSpan.FromHours(1);

    private const int MaxAttempts = 10;
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StaleWarningInterval = TimeSpan.FromMinutes(1);

    private readonly KafkaOptions _options;
    private readonly ILogger _logger;
    private readonly KafkaLog _kafkaLog;
    private readonly LogRateLimit _staleWarnings = new(StaleWarningInterval);
    private readonly TopicPartition _partition;
    private readonly IProducer<string, byte[]?> _producer;
    private readonly IConsumer<string?, byte[]?> _consumer;
    private readonly ModelLog _log = new();
    private readonly Lock _gate = new();
    private bool _assigned;
    private bool _topicChecked;
    private bool _read;
    private bool _disposed;

    /// <param name="options">Brokers (<c>Kafka:BootstrapServers</c>), the topic (<c>Kafka:ModelTopic</c>), client settings.</param>
    /// <param name="logger">Where the store and librdkafka log.</param>
    public KafkaModelStore(KafkaOptions options, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
            throw new ModelStoreException("Kafka:ModelTopic needs Kafka:BootstrapServers (host:port[,host:port])");
        if (string.IsNullOrWhiteSpace(options.ModelTopic))
            throw new ModelStoreException("Kafka:ModelTopic must name the model store's topic");
        _options = options;
        _logger = logger;
        _kafkaLog = new KafkaLog(logger);
        Topic = options.ModelTopic;
        _partition = new TopicPartition(Topic, Partition);
        _producer = KafkaProducers.Reliable<string, byte[]?>(options, _kafkaLog, lingerMs: 1, configure: producer =>
        {
            if (!options.Producer.ContainsKey("message.timeout.ms")) producer.MessageTimeoutMs = (int)DefaultTimeout.TotalMilliseconds;
        });
        _consumer = KafkaReaders.Create<string?, byte[]?>(options, "model-store", _kafkaLog, config => config.AutoOffsetReset = AutoOffsetReset.Earliest);
    }

    /// <summary>The store's topic.</summary>
    public string Topic { get; }

    /// <inheritdoc/>
    public string Location => $"Kafka topic '{Topic}'";

    /// <summary>Bytes of <c>weights.bin</c> per record. Default 512 KiB (<see cref="DefaultChunkBytes"/>).</summary>
    public int ChunkBytes { get; init; } = DefaultChunkBytes;

    /// <summary>How long one read to the end or one write may take. Default 30 s.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <inheritdoc/>
    public string? CurrentVersion
    {
        get
        {
            lock (_gate)
            {
                Refresh();
                return _log.Current;
            }
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Versions()
    {
        lock (_gate)
        {
            Refresh();
            return _log.Versions.Select(v => v.Id).ToList();
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<ModelSwitch> History()
    {
        lock (_gate)
        {
            Refresh();
            // As in the directory store, the history lists switches to versions; a switch to naive is not one.
            return _log.Switches.Where(s => ModelStore.TryParseNumber(s.Version, out _)).Select(s => s.ToModelSwitch()).ToList();
        }
    }

    /// <inheritdoc/>
    public ModelSwitch? LastSwitch()
    {
        lock (_gate)
        {
            Refresh();
            return _log.Switches.Count == 0 ? null : _log.Switches[^1].ToModelSwitch();
        }
    }

    /// <inheritdoc/>
    public string Add(LstmForecaster network, Calibration calibration, ModelMetadata metadata, bool makeCurrent = true)
    {
        var weights = Serialize(network);
        var sha = Sha256(weights);
        var configuration = new ModelConfiguration(network.Settings, calibration);
        var upload = Guid.NewGuid().ToString("N");
        var chunks = ModelChunks.Split(weights, ChunkBytes);
        ProduceAll(chunks.Select((chunk, n) => (ModelRecordKeys.Weights(upload, n), (byte[]?)chunk)));
        string? id = null;
        lock (_gate)
        {
            for (int attempt = 0; attempt < MaxAttempts && id is null; attempt++)
            {
                Sync();
                var claim = $"v{_log.Highest + 1}";
                var key = ModelRecordKeys.Version(claim, upload);
                var manifest = ModelManifestRecord.Encode(chunks.Count, configuration, Stamp(metadata, claim, weights.Length, sha));
                if (Sync(Produce(key, manifest)) == ModelLogDecision.Accepted)
                {
                    id = claim;
                    break;
                }
                LogClaimLost(_logger, claim, Topic);
                Produce(key, null);
            }
        }
        if (id is null) throw new ModelStoreException($"{Location}: no version id could be claimed: {MaxAttempts} claims in a row lost to other writers");
        if (makeCurrent) Switch(id, "trained", ModelSwitchSource.Train, check: false, expectedCurrent: null);
        return id;
    }

    /// <inheritdoc/>
    public void SetCurrent(string id, string reason = "promoted") => Switch(id, reason, ModelSwitchSource.Operator, check: false, expectedCurrent: null);

    /// <inheritdoc/>
    public void SetCurrent(string id, string reason, string? expectedCurrent, string source = ModelSwitchSource.Operator) =>
        Switch(id, reason, source, check: true, expectedCurrent);

    private void Switch(string id, string reason, string source, bool check, string? expectedCurrent)
    {
        ModelStoreRules.CheckSource(source);
        ModelStoreRules.CheckLoads(this, id);
        lock (_gate)
        {
            for (int attempt = 0; attempt < MaxAttempts; attempt++)
            {
                Sync();
                if (check) ModelStoreRules.CheckExpected(Location, id, _log.Current, expectedCurrent);
                var proposal = new ModelSwitchRecord(id, reason, DateTime.UtcNow, _log.Generation, source);
                if (Sync(Produce(ModelRecordKeys.Current(Guid.NewGuid().ToString("N")), proposal.ToBytes())) == ModelLogDecision.Accepted) return;
                // Another switch from the same generation came first: look again (a conditional switch is refused above if
                // it changed the current version).
                LogSwitchLost(_logger, id, Topic);
            }
        }
        throw new ModelStoreException($"{Location}: {id} could not be made current: {MaxAttempts} proposals in a row lost to other writers");
    }

    /// <inheritdoc/>
    public string Rollback()
    {
        lock (_gate)
        {
            Sync();
            var current = _log.Current ?? throw new ModelStoreException($"{Location} has no current version to roll back from");
            var previous = ModelStoreRules.RollbackTarget(History(), current)
                ?? throw new ModelStoreException($"{Location} has no version that was current before {current}");
            SetCurrent(previous, "rollback", expectedCurrent: current);
            return previous;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Writes tombstones: for the pruned versions' manifests and chunks, for claims that lost, for switches older than
    /// the newest <see cref="KeptSwitches"/>, and for chunks of uploads abandoned over <see cref="AbandonedUploadAge"/> ago.
    /// </remarks>
    public IReadOnlyList<string> Prune(int keep)
    {
        lock (_gate)
        {
            Sync();
            var pruned = ModelStoreRules.PruneCandidates(Versions(), keep, _log.Current, History());
            var tombstones = _log.Tombstones(pruned, KeptSwitches, DateTime.UtcNow - AbandonedUploadAge);
            if (tombstones.Count == 0) return pruned;
            ProduceAll(tombstones.Select(key => (key, (byte[]?)null)));
            Sync();
            return pruned;
        }
    }

    /// <inheritdoc/>
    public ModelVersion LoadCurrent()
    {
        var id = CurrentVersion
            ?? throw new ModelStoreException($"{Location} has no current version (train one with 'streamlstm train', or let a worker train its first)");
        if (id == NaiveModel.Id)
            throw new ModelStoreException($"{Location} has no current model: its current version is '{NaiveModel.Id}' (no model beat the last price; 'streamlstm models list' shows the versions)");
        return Load(id);
    }

    /// <inheritdoc/>
    public ModelVersion Load(string id)
    {
        byte[] weights;
        ModelConfiguration configuration;
        ModelMetadata metadata;
        lock (_gate)
        {
            var manifest = Find(id);
            var (count, config, meta) = ModelManifestRecord.Decode(id, Location, manifest.Value);
            configuration = CheckConfiguration(id, Parse<ModelConfiguration>(id, ConfigFile, config));
            metadata = CheckMetadata(id, Parse<ModelMetadata>(id, MetadataFile, meta));
            weights = ModelChunks.Join(id, Location, _log.Chunks(manifest), count);
        }
        CheckWeights(id, metadata, weights.Length, Sha256(weights));
        return Build(id, configuration, metadata, network => Deserialize(network, weights));
    }

    /// <inheritdoc/>
    public ModelConfiguration ReadConfiguration(string id)
    {
        lock (_gate)
        {
            var (_, config, _) = ModelManifestRecord.Decode(id, Location, Find(id).Value);
            return CheckConfiguration(id, Parse<ModelConfiguration>(id, ConfigFile, config));
        }
    }

    /// <inheritdoc/>
    public ModelMetadata ReadMetadata(string id)
    {
        lock (_gate)
        {
            var (_, _, meta) = ModelManifestRecord.Decode(id, Location, Find(id).Value);
            return CheckMetadata(id, Parse<ModelMetadata>(id, MetadataFile, meta));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _producer.Flush(TimeSpan.FromSeconds(5));
            _producer.Dispose();
            _consumer.Close();
            _consumer.Dispose();
        }
    }

    private ModelLog.Manifest Find(string id)
    {
        if (!ModelStore.TryParseNumber(id, out _))
            throw new ModelStoreException($"'{id}' is not a model version id (expected v1, v2, ...)");
        Refresh();
        return _log.Versions.FirstOrDefault(v => v.Id == id) ?? throw new ModelStoreException($"{Location} has no version '{id}'");
    }

    /// <summary>
    /// <see cref="Sync"/>, but once the topic has been read, a failure leaves the state as last read (with a warning
    /// at most once a minute) instead of throwing: a worker keeps serving and following through a broker outage.
    /// </summary>
    private void Refresh()
    {
        try
        {
            Sync();
        }
        catch (ModelStoreException ex) when (_read)
        {
            if (_staleWarnings.ShouldLog("stale", out var suppressed)) LogStale(_logger, Topic, ex.Message, _log.NextOffset, suppressed);
        }
    }

    /// <summary>
    /// Reads the partition from where the last read ended to its end (the high watermark now: every record acknowledged
    /// so far) and folds it in. With <paramref name="awaited"/> (the offset of a claim the caller just wrote), it reads
    /// at least up to that record, whatever the watermark it was told (a client that looked before the topic existed is
    /// told none for a while), and returns what became of it; a claim counts as lost only once it was folded and
    /// refused, never because it was not read.
    /// </summary>
    private ModelLogDecision Sync(long awaited = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureTopic();
        long end;
        try
        {
            end = _consumer.QueryWatermarkOffsets(_partition, Timeout).High.Value;
        }
        catch (KafkaException ex) when (ex.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic or ErrorCode.Local_UnknownPartition)
        {
            end = 0;
        }
        catch (KafkaException ex)
        {
            throw new ModelStoreException($"{Location} cannot be read: {ex.Error.Reason}", ex);
        }
        end = Math.Max(end, awaited + 1);
        if (!_assigned)
        {
            _consumer.Assign(new TopicPartitionOffset(_partition, Offset.Beginning));
            _assigned = true;
        }
        ModelLogDecision? decision = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (_log.NextOffset < end)
        {
            var left = Timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
                throw new ModelStoreException($"{Location} could not be read to its end (offset {end}) within {Timeout.TotalSeconds:F0} s: read up to offset {_log.NextOffset}");
            ConsumeResult<string?, byte[]?>? record;
            try
            {
                record = _consumer.Consume(left);
            }
            catch (ConsumeException ex) when (!ex.Error.IsFatal)
            {
                _kafkaLog.Error(ex.Error);
                continue;
            }
            if (record is null) continue;
            if (record.IsPartitionEOF)
            {
                // Compaction leaves gaps: the end of the partition is reached even when no record sits just below it.
                _log.ReadTo(record.Offset.Value);
                continue;
            }
            var folded = _log.Apply(record.Offset.Value, record.Message.Key, record.Message.Value, record.Message.Timestamp.UtcDateTime);
            if (record.Offset.Value == awaited) decision = folded;
        }
        _read = true;
        if (awaited < 0) return ModelLogDecision.NotAClaim;
        return decision ?? throw new ModelStoreException($"{Location}: the record written at offset {awaited} was not read back (read up to offset {_log.NextOffset})");
    }

    /// <summary>
    /// Once per store: creates the topic (one partition, compacted) when the brokers do not list it, or checks in the
    /// background that the one there is compacted. Every topic is listed rather than this one asked for, since a broker
    /// that auto-creates topics would make it uncompacted for asking.
    /// </summary>
    private void EnsureTopic()
    {
        if (_topicChecked) return;
        var admin = new AdminClientBuilder(new AdminClientConfig(KafkaClientSettings.Connection(_options.Consumer)) { BootstrapServers = _options.BootstrapServers })
            .SetLogHandler((_, message) => _kafkaLog.Log(message))
            .Build();
        Metadata metadata;
        try
        {
            metadata = admin.GetMetadata(Timeout);
        }
        catch (KafkaException ex)
        {
            admin.Dispose();
            throw new ModelStoreException($"{Location} cannot be reached at {_options.BootstrapServers}: {ex.Error.Reason}", ex);
        }
        _topicChecked = true;
        var existing = metadata.Topics.FirstOrDefault(t => t.Topic == Topic && t.Error.Code == ErrorCode.NoError && t.Partitions.Count > 0);
        if (existing is not null)
        {
            if (existing.Partitions.Count > 1) LogPartitions(_logger, Topic, existing.Partitions.Count);
            _ = CheckCompactedAsync(admin);
            return;
        }
        using (admin)
        {
            short replicas = (short)Math.Min(3, Math.Max(1, metadata.Brokers.Count));
            var wait = Timeout < CreateTimeout ? Timeout : CreateTimeout;
            var create = admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = Topic,
                NumPartitions = 1,
                ReplicationFactor = replicas,
                Configs = new Dictionary<string, string> { ["cleanup.policy"] = "compact" },
            }], new CreateTopicsOptions { OperationTimeout = wait, RequestTimeout = wait });
            try
            {
                if (create.Wait(wait + wait)) LogCreated(_logger, Topic, replicas);
                else LogNotCreated(_logger, Topic, $"no answer within {wait.TotalSeconds:F0} s");
            }
            catch (AggregateException ex) when (ex.InnerException is CreateTopicsException failed
                && failed.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
            {
            }
            catch (AggregateException ex)
            {
                // A broker that auto-creates topics makes it at the first write, uncompacted: the warning says so.
                LogNotCreated(_logger, Topic, ex.GetBaseException().Message);
            }
        }
    }

    /// <summary>Warns when the existing topic is not compacted (its old records, the current version's too, would be deleted by retention).</summary>
    private async Task CheckCompactedAsync(IAdminClient admin)
    {
        using (admin)
        {
            try
            {
                var described = await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = Topic }],
                    new DescribeConfigsOptions { RequestTimeout = CreateTimeout }).ConfigureAwait(false);
                var policy = described[0].Entries.TryGetValue("cleanup.policy", out var entry) ? entry.Value : "";
                if (!policy.Contains("compact", StringComparison.Ordinal)) LogNotCompacted(_logger, Topic, policy);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogNotChecked(_logger, Topic, ex.Message);
            }
        }
    }

    /// <summary>Writes one record to the partition and returns its offset once all in-sync replicas have it.</summary>
    private long Produce(string key, byte[]? value) => ProduceAll([(key, value)])[0];

    /// <summary>Writes records to the partition, in order, and returns their offsets once all in-sync replicas have them.</summary>
    private long[] ProduceAll(IEnumerable<(string Key, byte[]? Value)> records)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var written = records.Select(r => (r.Key, Size: r.Value?.Length ?? 0,
            Task: _producer.ProduceAsync(_partition, new Message<string, byte[]?> { Key = r.Key, Value = r.Value }))).ToList();
        var offsets = new long[written.Count];
        for (int i = 0; i < written.Count; i++)
        {
            try
            {
                offsets[i] = written[i].Task.GetAwaiter().GetResult().Offset.Value;
            }
            catch (ProduceException<string, byte[]?> ex) when (ex.Error.Code is ErrorCode.MsgSizeTooLarge)
            {
                throw new ModelStoreException($"{Location}: record {written[i].Key} of {written[i].Size} bytes is over the size the producer or topic allows (message.max.bytes, max.message.bytes): {ex.Error.Reason}", ex);
            }
            catch (ProduceException<string, byte[]?> ex)
            {
                throw new ModelStoreException($"{Location}: writing {written[i].Key} failed: {ex.Error.Reason}", ex);
            }
        }
        return offsets;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the model topic {Topic}: 1 partition, {Replicas} replicas, compacted")]
    private static partial void LogCreated(ILogger logger, string topic, short replicas);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The model topic {Topic} could not be created ({Reason}); if the brokers auto-create it at the first write it is not compacted: create it compacted, with one partition")]
    private static partial void LogNotCreated(ILogger logger, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The model topic {Topic} is not compacted (cleanup.policy={Policy}): retention will delete old records, the current version's among them; set cleanup.policy=compact on it")]
    private static partial void LogNotCompacted(ILogger logger, string topic, string policy);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Whether the model topic {Topic} is compacted could not be checked ({Reason})")]
    private static partial void LogNotChecked(ILogger logger, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The model topic {Topic} has {Partitions} partitions; the model store uses partition 0 only")]
    private static partial void LogPartitions(ILogger logger, string topic, int partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Version id {Version} on {Topic} was claimed by another writer first; claiming the next")]
    private static partial void LogClaimLost(ILogger logger, string version, string topic);

    [LoggerMessage(Level = LogLevel.Information, Message = "Making {Version} current on {Topic}: another writer's switch came first; looking again")]
    private static partial void LogSwitchLost(ILogger logger, string version, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The model topic {Topic} cannot be read ({Reason}); going on with the versions read up to offset {Offset} ({Suppressed} similar warnings suppressed since the last)")]
    private static partial void LogStale(ILogger logger, string topic, string reason, long offset, long suppressed);
}
