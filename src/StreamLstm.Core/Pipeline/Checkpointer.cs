using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;
using StreamLstm.State;
using StreamLstm.Telemetry;

namespace StreamLstm.Pipeline;

/// <summary>
/// Drives the state checkpoints from the forecast loop. At most every <see cref="StateSettings.CheckpointInterval"/> it
/// takes the changed symbols' state between two micro-batches; it writes that checkpoint to the changelog only once the
/// sinks have acknowledged every tick it covers (so a checkpoint never runs ahead of the points), and once the changelog
/// has it, stores the offsets it covers for the group's next commit (so the committed offsets never run ahead of the
/// state). One checkpoint is in flight at a time: a failed one makes the next carry all its partitions' symbols.
/// </summary>
internal sealed partial class Checkpointer(StateSettings settings, StateChangelog changelog, KafkaTickSource source,
    PipelineCounters counters, ILogger logger, Action wake)
{
    // How often a checkpoint waiting for acknowledgements is looked at while the stream is quiet.
    private static readonly TimeSpan AcknowledgementPoll = TimeSpan.FromMilliseconds(20);

    // How often a changelog still being created is looked at.
    private static readonly TimeSpan NotReadyPoll = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentQueue<IReadOnlyList<int>> _failed = new();
    private readonly LogRateLimit _failureLog = new(TimeSpan.FromSeconds(30));
    private StateCheckpoint? _waiting;
    private long _takenAt = Stopwatch.GetTimestamp();
    private bool _changed;
    private int _writing;

    /// <summary>Notes that a micro-batch was processed (something may have changed since the last checkpoint).</summary>
    public void Processed() => _changed = true;

    /// <summary>How long the forecast loop may wait for ticks before <see cref="Step"/> has work; null: it has none.</summary>
    public TimeSpan? Wait
    {
        get
        {
            if (_waiting is not null || Volatile.Read(ref _writing) == 1) return AcknowledgementPoll;
            if (!_changed) return null;
            if (!changelog.Ready) return NotReadyPoll;
            var left = settings.CheckpointInterval - Stopwatch.GetElapsedTime(_takenAt);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>On the forecast loop, between micro-batches: takes a checkpoint when one is due and writes it once its ticks are acknowledged.</summary>
    public void Step(TickProcessor processor)
    {
        while (_failed.TryDequeue(out var partitions)) processor.CheckpointFailed(partitions);
        if (Volatile.Read(ref _writing) == 1 || !changelog.Ready) return;
        if (_waiting is null)
        {
            if (!_changed || Stopwatch.GetElapsedTime(_takenAt) < settings.CheckpointInterval) return;
            _takenAt = Stopwatch.GetTimestamp();
            _changed = false;
            _waiting = processor.Checkpoint();
            if (_waiting is null) return;
        }
        if (Current(_waiting) is not { } ready) return;
        _waiting = null;
        Write(ready);
    }

    /// <summary>
    /// At shutdown, after the sinks completed: waits for the checkpoint in flight, then takes and writes a last one
    /// covering everything processed, so a graceful restart reads nothing again. False when it could not be written
    /// within <paramref name="timeout"/> (the next start replays from the last checkpoint written).
    /// </summary>
    public bool Complete(TickProcessor processor, TimeSpan timeout)
    {
        changelog.Flush(timeout);
        if (_waiting is not null && !WriteNow(processor, _waiting, timeout)) return false;
        _waiting = null;
        while (_failed.TryDequeue(out var partitions)) processor.CheckpointFailed(partitions);
        return processor.Checkpoint() is not { } last || WriteNow(processor, last, timeout);
    }

    private bool WriteNow(TickProcessor processor, StateCheckpoint checkpoint, TimeSpan timeout)
    {
        if (Current(checkpoint) is not { } ready)
        {
            LogFinalUnacknowledged(logger);
            return false;
        }
        long failures = counters.CheckpointFailures;
        Write(ready);
        bool written = changelog.Flush(timeout) && counters.CheckpointFailures == failures;
        while (_failed.TryDequeue(out var partitions)) processor.CheckpointFailed(partitions);
        return written;
    }

    /// <summary>
    /// The part of <paramref name="checkpoint"/> still ours (partitions revoked since are left to their next owner), once
    /// every tick it covers is done; null while some are not.
    /// </summary>
    private StateCheckpoint? Current(StateCheckpoint checkpoint)
    {
        // Looked at between every two micro-batches while it waits: nothing is allocated unless a partition moved.
        bool moved = false;
        foreach (var p in checkpoint.Partitions)
        {
            if (!source.IsCurrent(new SourcePosition(p.Partition, 0, p.Epoch))) moved = true;
            else if (source.DoneBefore(p.Partition, p.Epoch) <= p.Through) return null;
        }
        return moved ? new StateCheckpoint(checkpoint.Partitions.Where(p => source.IsCurrent(new SourcePosition(p.Partition, 0, p.Epoch))).ToList()) : checkpoint;
    }

    private void Write(StateCheckpoint checkpoint)
    {
        Volatile.Write(ref _writing, 1);
        changelog.Write(checkpoint, error =>
        {
            if (error is null)
            {
                foreach (var p in checkpoint.Partitions) source.Checkpointed(p.Partition, p.Epoch, p.Through);
                counters.AddCheckpoint(checkpoint.Records, checkpoint.Bytes);
            }
            else
            {
                counters.AddCheckpointFailure();
                _failed.Enqueue(checkpoint.Partitions.Select(p => p.Partition).ToList());
                if (_failureLog.ShouldLog("checkpoint", out long suppressed)) LogFailed(logger, changelog.Topic, error, suppressed);
            }
            Volatile.Write(ref _writing, 0);
            wake();
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A state checkpoint was not written to {Topic} ({Reason}; {Suppressed} more since the last line): the next one carries its symbols again, and a restart meanwhile replays from the last one written")]
    private static partial void LogFailed(ILogger logger, string topic, string reason, long suppressed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No last state checkpoint at shutdown: some points were not acknowledged; the next start replays from the last checkpoint written")]
    private static partial void LogFinalUnacknowledged(ILogger logger);
}
