using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Sink;
using StreamLstm.State;
using StreamLstm.Telemetry;
using Confluent.Kafka;

namespace StreamLstm.Pipeline;

/// <summary>
/// Kafka in, forecasts out: the consume loop (its own thread) feeds a bounded queue; the forecast loop takes what is
/// queued as one micro-batch (up to <see cref="MaxBatch"/> ticks), runs the per-tick path and hands the points to the
/// sink, which acknowledges source positions once the points are accepted. Stopping drains the queue, flushes the sink,
/// stores and commits offsets, then leaves the group.
/// </summary>
public sealed partial class StreamingPipeline
{
    /// <summary>How often a followed store is checked for a new current version, unless configured (<c>Model:FollowInterval</c>).</summary>
    public static readonly TimeSpan DefaultFollowInterval = TimeSpan.FromSeconds(2);

    /// <summary>Most ticks per micro-batch.</summary>
    public const int MaxBatch = 4096;

    private readonly KafkaOptions _kafka;
    private readonly ModelVersion _model;
    private readonly ServingSettings _serving;
    private readonly Func<Action<IReadOnlyList<SourcePosition>>, IPointSink> _sinkFactory;
    private readonly ILogger _logger;
    // Partition changes from the consume thread (revoked, lost, assigned with restored state), applied in order by the
    // forecast loop before it processes any tick consumed after them.
    private readonly ConcurrentQueue<Action<TickProcessor>> _partitionChanges = new();
    private KafkaTickSource? _source;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentQueue<ModelEvent> _events = new();
    // A shared store's switch made while this worker was stopped: reported at its first assignment, if it holds partition 0.
    private ModelEvent? _startEvent;

    public StreamingPipeline(KafkaOptions kafka, ModelVersion model, ServingSettings serving,
        Func<Action<IReadOnlyList<SourcePosition>>, IPointSink> sinkFactory, ILogger logger, PipelineCounters? counters = null)
    {
        _kafka = kafka;
        _model = model;
        _serving = serving;
        _sinkFactory = sinkFactory;
        _logger = logger;
        Counters = counters ?? new PipelineCounters();
        Counters.ServingModel = model.Id;
    }

    /// <summary>
    /// A model store whose current version the pipeline follows: a switch (training, <c>models promote</c>,
    /// <c>models rollback</c>) is picked up within <see cref="FollowInterval"/> and takes over between ticks, each
    /// symbol re-warmed from its recent history first. Null: serve the given model only.
    /// </summary>
    public IModelStore? Follow { get; init; }

    /// <summary>How often <see cref="Follow"/> is checked. Default 2 s.</summary>
    public TimeSpan FollowInterval { get; init; } = DefaultFollowInterval;

    /// <summary>
    /// A file where the pipeline keeps the last switch of <see cref="Follow"/> it took over, so that a switch made while
    /// it was stopped (<c>train</c>, <c>models promote</c>, <c>models rollback</c>) is written as a <c>model_event</c>
    /// once, when it starts. Null: only the switches taken over while it runs are. Default: null.
    /// </summary>
    public string? SwitchMarker { get; init; }

    /// <summary>
    /// Whether the workers of the group share <see cref="Follow"/>: then only the owner of partition 0 writes the
    /// <c>model_event</c> of a switch they all take over (at start: if its first assignment holds partition 0), so each
    /// switch is written once. Default: false.
    /// </summary>
    public bool SharedStore { get; init; }

    /// <summary>
    /// The accumulated ticks: every accepted tick is appended, and symbols first seen after a (re)start are re-warmed
    /// from their last <see cref="RewarmTicks"/> ticks before their next forecast. Null: no history.
    /// </summary>
    public TickHistory? History { get; init; }

    /// <summary>Most ticks of its history a symbol is re-warmed over after a (re)start. Default 1,000.</summary>
    public int RewarmTicks { get; init; } = HistorySettings.DefaultRewarmTicks;

    /// <summary>What is written per tick (<c>Sink:Profile</c> and its keys). Default: the <c>full</c> profile.</summary>
    public OutputSettings Output { get; init; } = new();

    /// <summary>What ticks are refused besides their format (clock skew) and when late runs are reported. Default: the defaults.</summary>
    public StreamLstm.Ticks.TickSettings Ticks { get; init; } = new();

    /// <summary>
    /// State checkpoints to the changelog (<c>Kafka:StateTopic</c>), restored on assignment; null or not enabled: none,
    /// symbols are re-warmed from the history after a restart instead. Default: none.
    /// </summary>
    public StateSettings? State { get; init; }

    // How long the changelog's metadata or its creation may take.
    private static readonly TimeSpan ChangelogTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a partition's state may take to be read back from the changelog on assignment. Default 60 s.</summary>
    public TimeSpan RestoreTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The wall clock ticks are checked against (tests). Default: the system clock.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Fed with every resolved one-tick-ahead forecast, to signal drift to the retraining. Null: none.</summary>
    public DriftMonitor? Drift { get; init; }

    /// <summary>The feed.</summary>
    public KafkaOptions Kafka => _kafka;

    /// <summary>The version serving right now.</summary>
    public string ServingModel => Counters.ServingModel;

    /// <summary>Running totals.</summary>
    public PipelineCounters Counters { get; }

    /// <summary>Symbols with state right now.</summary>
    public int Symbols => Counters.Symbols;

    /// <summary>
    /// Called on the forecast loop with each tick's latency in milliseconds, from the consumer handing it over to its
    /// points being serialized into the sink's batch (for benchmarks; null by default).
    /// </summary>
    public Action<double>? LatencyObserver { get; init; }

    /// <summary>Partitions assigned to this worker right now (empty before it joined its group).</summary>
    public IReadOnlyList<int> Assignment => _source?.Assignment ?? [];

    /// <summary>Running score of the served one-tick-ahead forecasts (updated by the forecast loop; read for display).</summary>
    public ForecastScore? LiveScore { get; private set; }

    /// <summary>
    /// Writes a <c>model_event</c> point for <paramref name="modelEvent"/> with the next points (any thread; also while
    /// the stream is quiet). One that names no time of its own is written at the newest tick's, so before the worker
    /// has seen any it waits for the first.
    /// </summary>
    public void Report(ModelEvent modelEvent)
    {
        _events.Enqueue(modelEvent);
        _wake.Release();
    }

    /// <summary>Runs until <paramref name="stopping"/> fires, then shuts down gracefully within <paramref name="shutdownTimeout"/>.</summary>
    public async Task RunAsync(CancellationToken stopping, TimeSpan? shutdownTimeout = null)
    {
        var queue = Channel.CreateBounded<IngestedTick>(new BoundedChannelOptions(_kafka.QueueTicks)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        bool checkpoints = State is { Enabled: true };
        using var changelog = checkpoints ? new StateChangelog(_kafka, _logger) : null;
        // A changelog that cannot hold the state (fewer partitions than the tick topic) is a configuration error: at once.
        changelog?.Prepare(ChangelogTimeout);
        var switchEvents = new SwitchEvents(SwitchMarker, _logger);
        if (Follow is not null) ReportSwitchAtStart(Follow, switchEvents);
        using var source = new KafkaTickSource(_kafka, queue.Writer, Counters, _logger, new TickAdmission(Ticks, _serving.MaxSymbols, Clock),
            partitions => _partitionChanges.Enqueue(processor => processor.Forget(partitions)),
            changelog is null && History is null && _startEvent is null ? null : partitions =>
            {
                if (changelog is not null) ReadState(changelog, partitions);
                if (History is not null) HoldForHistory(_source!, History, partitions);
                if (Interlocked.Exchange(ref _startEvent, null) is { } held && partitions.Contains(0)) Report(held);
            })
        {
            StoreWhenDone = !checkpoints,
        };
        _source = source;
        var sink = _sinkFactory(source.Acknowledge);
        var processor = new TickProcessor(_model, _serving, Counters, History, Drift, RewarmTicks, Ticks, _logger)
        {
            RecordForecasts = PointSinks.PublishesForecasts(_kafka),
            Output = Output,
        };
        var checkpointer = changelog is null ? null : new Checkpointer(State!, changelog, source, Counters, _logger, () => _wake.Release());
        LiveScore = processor.LiveScore;
        Counters.ObserveQueue(() => (double)queue.Reader.Count / _kafka.QueueTicks);
        LogStarted(_logger, _kafka.Topic, _kafka.GroupId, _model.Id);

        var consuming = source.RunAsync(stopping);
        using var swaps = new ModelSwaps(Counters, _logger, () => _wake.Release());
        using var following = Follow is null ? null : FollowStore(Follow, swaps, switchEvents);
        var buffer = new IngestedTick[MaxBatch];
        var reader = queue.Reader;
        Task<bool>? readable = null;
        Task? woken = null;
        while (true)
        {
            ApplyPartitionChanges(processor);
            checkpointer?.Step(processor);
            swaps.Step(processor);
            if (!_events.IsEmpty && EventsTimed(processor)) await WriteAsync(sink, EventBatch(processor)).ConfigureAwait(false);
            // Wait for ticks, or for a new model or a model event while the stream is quiet.
            readable ??= reader.WaitToReadAsync(CancellationToken.None).AsTask();
            if (!readable.IsCompleted)
            {
                Counters.EnterLoopState(ForecastLoopState.Waiting);
                woken ??= _wake.WaitAsync();
                // A checkpoint is due, or waits for its ticks' acknowledgements, while the stream is quiet.
                var due = checkpointer?.Wait is { } wait ? Task.Delay(wait) : null;
                var first = await (due is null ? Task.WhenAny(readable, woken) : Task.WhenAny(readable, woken, due)).ConfigureAwait(false);
                if (first == woken) woken = null;
                if (first != readable) continue;
            }
            if (!await readable.ConfigureAwait(false)) break;
            readable = null;
            Counters.EnterLoopState(ForecastLoopState.Working);
            int n = TakeBatch(reader, buffer, source.IsCurrent, out int discarded);
            if (discarded > 0) Counters.AddRevokedDiscarded(discarded);
            // The consume thread notes a revocation before it queues any tick consumed after it: what it dropped is
            // forgotten before those ticks are forecast, never after (they would run on the old state).
            ApplyPartitionChanges(processor);
            if (n == 0) continue;
            var batch = new PointBatch();
            long historyFailures = Counters.HistoryFailures;
            processor.Process(buffer.AsSpan(0, n), batch);
            if (Counters.HistoryFailures != historyFailures && (historyFailures == 0 || Counters.HistoryFailures / 1000 != historyFailures / 1000))
                LogHistoryFailing(_logger, Counters.HistoryFailures, Counters.LastHistoryFailure);
            Counters.Symbols = processor.Symbols;
            if (LatencyObserver is not null || Counters.RecordsLatency) ObserveLatency(buffer.AsSpan(0, n));
            await WriteAsync(sink, batch).ConfigureAwait(false);
            checkpointer?.Processed();
        }
        Counters.EnterLoopState(ForecastLoopState.Stopped);
        await consuming.ConfigureAwait(false);
        following?.Dispose();
        await swaps.StopAsync().ConfigureAwait(false);
        if (!_events.IsEmpty) await sink.WriteAsync(EventBatch(processor), CancellationToken.None).ConfigureAwait(false);
        History?.Flush();

        using var timeout = new CancellationTokenSource(shutdownTimeout ?? TimeSpan.FromSeconds(30));
        await sink.CompleteAsync(timeout.Token).ConfigureAwait(false);
        ApplyPartitionChanges(processor);
        checkpointer?.Complete(processor, TimeSpan.FromSeconds(10));
        source.CommitAndClose();
        _source = null;
        LogStopped(_logger, Counters.Ticks, Counters.Forecasts, Counters.PointsWritten);
    }

    /// <summary>
    /// Takes what is queued, up to the buffer's length, as the next micro-batch; ticks queued before their partition was
    /// revoked or lost (<paramref name="isCurrent"/> says no) are discarded and counted: not ours to forecast any more,
    /// nor to keep in the history; the partition's next owner consumes them again.
    /// </summary>
    internal static int TakeBatch(ChannelReader<IngestedTick> reader, IngestedTick[] buffer, Func<SourcePosition, bool> isCurrent, out int discarded)
    {
        int n = 0;
        discarded = 0;
        while (n < buffer.Length && reader.TryRead(out var item))
        {
            if (isCurrent(item.Position)) buffer[n++] = item;
            else discarded++;
        }
        return n;
    }

    private void ApplyPartitionChanges(TickProcessor processor)
    {
        while (_partitionChanges.TryDequeue(out var change)) change(processor);
    }

    /// <summary>
    /// On the consume thread, in the assignment handler, before any tick of the new partitions is consumed: reads their
    /// states back from the changelog, for the forecast loop to restore before their first tick. A changelog that cannot
    /// be read costs exactness, never the stream: the symbols are re-warmed from the history.
    /// </summary>
    private void ReadState(StateChangelog changelog, IReadOnlyList<int> partitions)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Dictionary<int, List<KeyValuePair<string, byte[]>>> records;
        try
        {
            changelog.Prepare(ChangelogTimeout);
            records = changelog.Read(partitions, RestoreTimeout);
        }
        catch (Exception ex) when (ex is KafkaException or TimeoutException or InvalidOperationException)
        {
            LogStateUnreadable(_logger, string.Join(",", partitions), changelog.Topic, ex.Message);
            return;
        }
        double read = clock.Elapsed.TotalMilliseconds;
        _partitionChanges.Enqueue(processor =>
        {
            foreach (var (partition, list) in records)
            {
                if (list.Count == 0) continue;
                var outcome = processor.Restore(partition, list);
                Counters.AddRestored(outcome.Restored, outcome.Refused.Count);
                LogRestored(_logger, partition, outcome.Restored, changelog.Topic, read);
                foreach (var (symbol, problem) in outcome.Refused.Take(3)) LogRestoreRefused(_logger, symbol, partition, problem, outcome.Refused.Count);
            }
        });
    }

    /// <summary>
    /// On the consume thread, in the assignment handler: holds the new partitions back (the others flow) and asks the
    /// forecast loop to bring their history up to the committed offset first, where the partition resumes.
    /// </summary>
    private void HoldForHistory(KafkaTickSource source, TickHistory history, IReadOnlyList<int> partitions)
    {
        source.Hold(partitions);
        Dictionary<int, long> committed;
        try
        {
            committed = source.Committed(partitions, ChangelogTimeout);
        }
        catch (KafkaException ex)
        {
            LogCommittedUnknown(_logger, string.Join(",", partitions), ex.Error.Reason);
            committed = partitions.ToDictionary(p => p, _ => -1L);
        }
        foreach (var partition in partitions)
        {
            int epoch = source.Epoch(partition);
            long resume = committed.GetValueOrDefault(partition, -1);
            _partitionChanges.Enqueue(processor => BeginBackfill(processor, source, history, partition, epoch, resume));
        }
        // The loop may be waiting for ticks, and these partitions send none until it has dealt with them.
        _wake.Release();
    }

    /// <summary>
    /// On the forecast loop: opens the partition's history rewound to where the partition resumes, and when the ticks
    /// before that are not all in it (the file is missing, from another worker, or behind), reads them back from the
    /// topic beside the stream, at most the history's bound per symbol; the partition is released once they are in.
    /// </summary>
    private void BeginBackfill(TickProcessor processor, KafkaTickSource source, TickHistory history, int partition, int epoch, long resume)
    {
        if (!source.IsCurrent(new SourcePosition(partition, 0, epoch))) return;
        // No committed offset: the partition is read from its start, and the history with it.
        if (resume <= 0)
        {
            source.Release(partition, epoch);
            return;
        }
        try
        {
            history.Open(partition, fromOffset: resume);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Counters.AddHistoryFailure(ex.Message);
            source.Release(partition, epoch);
            return;
        }
        long last = history.LastOffset(partition);
        if (last >= resume - 1)
        {
            source.Release(partition, epoch);
            return;
        }
        long bound = (long)history.Settings.MaxTicksPerSymbol * processor.SymbolsIn(partition);
        long from = bound > 0 ? Math.Max(last + 1, resume - bound) : last + 1;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task.Run(() => HistoryBackfill.Read(_kafka, partition, from, resume, Ticks, Clock, RestoreTimeout, CancellationToken.None))
            .ContinueWith(read =>
            {
                _partitionChanges.Enqueue(p => EndBackfill(source, history, partition, epoch, read, clock.Elapsed));
                _wake.Release();
            }, TaskScheduler.Default);
    }

    /// <summary>On the forecast loop: appends what was read back (if the partition is still ours) and releases the partition.</summary>
    private void EndBackfill(KafkaTickSource source, TickHistory history, int partition, int epoch, Task<List<(long Offset, StreamLstm.Ticks.Tick Tick)>> read, TimeSpan took)
    {
        if (!source.IsCurrent(new SourcePosition(partition, 0, epoch))) return;
        if (read.Exception is { } failed)
        {
            LogBackfillFailed(_logger, partition, failed.GetBaseException().Message);
        }
        else
        {
            try
            {
                foreach (var (offset, tick) in read.Result) history.Append(partition, offset, tick);
                history.Flush();
                Counters.AddHistoryBackfilled(read.Result.Count);
                LogBackfilled(_logger, partition, read.Result.Count, took.TotalMilliseconds);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Counters.AddHistoryFailure(ex.Message);
            }
        }
        source.Release(partition, epoch);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The committed offsets of partitions {Partitions} cannot be read ({Reason}); their history is not brought up to date from the topic")]
    private static partial void LogCommittedUnknown(ILogger logger, string partitions, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition}: its tick history was rebuilt from the topic, {Ticks} ticks read back in {Milliseconds:F0} ms")]
    private static partial void LogBackfilled(ILogger logger, int partition, int ticks, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition}: its tick history could not be read back from the topic ({Reason}); retraining and re-warming miss what it lacks")]
    private static partial void LogBackfillFailed(ILogger logger, int partition, string reason);

    /// <summary>Hands a batch to the sink; a full sink queue makes this wait (backpressure, which liveness allows for).</summary>
    private async Task WriteAsync(IPointSink sink, PointBatch batch)
    {
        Counters.EnterLoopState(ForecastLoopState.WritingToSink);
        await sink.WriteAsync(batch, CancellationToken.None).ConfigureAwait(false);
        Counters.EnterLoopState(ForecastLoopState.Working);
    }

    /// <summary>Each tick's latency, from the consumer's hand-over to now (its points are in the batch): to the observer and the histogram.</summary>
    private void ObserveLatency(ReadOnlySpan<IngestedTick> ticks)
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        double toSeconds = 1.0 / System.Diagnostics.Stopwatch.Frequency;
        var observe = LatencyObserver;
        foreach (var tick in ticks)
        {
            double seconds = (now - tick.ReceivedTimestamp) * toSeconds;
            observe?.Invoke(seconds * 1000.0);
            Counters.RecordTickLatency(seconds);
        }
    }

    /// <summary>
    /// Whether the queued model events can be written at the time of a tick: each names its own, or a tick has been seen
    /// (an event reported before any tick, a switch taken over at start, waits for the first; at shutdown it is written anyway).
    /// </summary>
    private bool EventsTimed(TickProcessor processor) =>
        processor.LastTickTime is not null || History?.Newest is not null || _events.All(e => e.Time != default);

    /// <summary>
    /// The queued model events as points, each at the time it names, or the newest tick's when it names none (the wall
    /// clock's when the worker has seen no tick).
    /// </summary>
    private PointBatch EventBatch(TickProcessor processor)
    {
        var batch = new PointBatch();
        while (_events.TryDequeue(out var e))
        {
            var time = e.Time == default ? processor.LastTickTime ?? History?.Newest ?? DateTime.UtcNow : e.Time;
            LineProtocol.ModelEvent(batch.Lines, e.Action, e.Model, e.Source, e.RelMae, e.ChampionRelMae, e.Coverage80, LineProtocol.Nanoseconds(time));
            batch.Points++;
            Counters.AddModelEvent();
        }
        return batch;
    }

    /// <summary>
    /// The store follower, off the forecast loop: every <see cref="FollowInterval"/> the store's current version, distinct
    /// until it changes; each new one that is not already serving (or on its way) is loaded and left for the forecast
    /// loop to swap in. A store that cannot be read is logged and asked again at the next interval.
    /// </summary>
    private IDisposable FollowStore(IModelStore store, ModelSwaps swaps, SwitchEvents switchEvents) =>
        Observable.Interval(FollowInterval, TaskPoolScheduler.Default)
            .Select(_ => CurrentVersionOf(store))
            // The store names what serves again (a failed switch rolled back): nothing is wrong any more.
            .Do(id => { if (id is not null && id == ServingModel) Counters.ModelProblem = null; })
            .DistinctUntilChanged()
            .Where(id => id is not null && !swaps.Settled(id, ServingModel))
            .Subscribe(id => Load(store, swaps, id!, switchEvents));

    /// <summary>
    /// The <c>model_event</c> of the store's latest switch when it made the version this pipeline starts with current
    /// while the worker was stopped (per <see cref="SwitchMarker"/>); a shared store's waits for the first assignment.
    /// </summary>
    private void ReportSwitchAtStart(IModelStore store, SwitchEvents switchEvents)
    {
        ModelSwitch? last;
        try
        {
            last = store.LastSwitch();
        }
        catch (Exception ex) when (ex is ModelStoreException or IOException or UnauthorizedAccessException or KafkaException)
        {
            LogFollowUnreadable(_logger, store.Location, ex.Message);
            return;
        }
        if (switchEvents.AtStart(last, _model) is not { } missed) return;
        if (SharedStore) _startEvent = missed;
        else Report(missed);
    }

    private string? CurrentVersionOf(IModelStore store)
    {
        try
        {
            return store.CurrentVersion;
        }
        catch (Exception ex) when (ex is ModelStoreException or IOException or UnauthorizedAccessException or KafkaException)
        {
            LogFollowUnreadable(_logger, store.Location, ex.Message);
            return null;
        }
    }

    private void Load(IModelStore store, ModelSwaps swaps, string id, SwitchEvents switchEvents)
    {
        try
        {
            var loaded = id == NaiveModel.Id ? NaiveModel.Create(_model.Settings) : store.Load(id);
            // The switch's event, unless a retraining wrote it; of a group sharing the store, only one worker writes it.
            if (switchEvents.TakenOver(store.LastSwitch(), loaded) is { } taken && (!SharedStore || Assignment.Contains(0)))
                _events.Enqueue(taken);
            swaps.Offer(loaded);
        }
        catch (ModelStoreException ex)
        {
            Counters.ModelProblem = $"the store's current version {id} cannot be served ({ex.Message}); {ServingModel} serves meanwhile";
            LogFollowFailed(_logger, id, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The model store {Store} cannot be read ({Reason}); asking again at the next interval")]
    private static partial void LogFollowUnreadable(ILogger logger, string store, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The state of partitions {Partitions} cannot be read from {Topic} ({Reason}); their symbols are re-warmed from the tick history instead (forecasts may differ slightly from an uninterrupted run's)")]
    private static partial void LogStateUnreadable(ILogger logger, string partitions, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition}: {Symbols} symbols restored from {Topic} (read in {Milliseconds:F0} ms)")]
    private static partial void LogRestored(ILogger logger, int partition, int symbols, string topic, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Symbol {Symbol} of partition {Partition} is re-warmed from the tick history instead of restored: its checkpoint cannot be used ({Problem}; {Count} such symbols in the partition)")]
    private static partial void LogRestoreRefused(ILogger logger, string symbol, int partition, string problem, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The tick history cannot be written ({Failures} failures so far, last: {Reason}); forecasting goes on, retraining and re-warming miss what was not kept")]
    private static partial void LogHistoryFailing(ILogger logger, long failures, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model store names {Model} as current but it cannot be served: {Reason}; keeping the current model")]
    private static partial void LogFollowFailed(ILogger logger, string model, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forecasting ticks of topic {Topic} in group {Group} with model {Model}")]
    private static partial void LogStarted(ILogger logger, string topic, string group, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped after {Ticks} ticks, {Forecasts} forecasts, {Points} points written")]
    private static partial void LogStopped(ILogger logger, long ticks, long forecasts, long points);
}
