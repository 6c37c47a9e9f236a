using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace StreamLstm.Learning;

/// <summary>
/// One compaction of a partition's file (see <see cref="TickHistory"/>): a background task writes the partition's live
/// ticks as of the start to <c>*.compacting</c> and catches up with the records appended to the old file since; then
/// <see cref="Finish"/>, on the appending thread, copies the few appended after that and puts the new file in the old
/// one's place.
/// </summary>
internal sealed partial class TickHistoryCompaction
{
    private const long Slack = 10_000;
    private const long CatchUpBytes = 256 * 1024;

    private readonly HistoryPartition _partition;
    private readonly Lock _gate;
    private readonly ILogger _logger;
    private readonly Action _written;
    private readonly string _tempPath;
    private readonly long _startLength;
    private readonly long _startRecords;
    private readonly SymbolRing[] _rings;
    private readonly long[] _marks;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _cancel = new();

    private TickHistoryCompaction(HistoryPartition p, Lock gate, ILogger logger, Action written, SymbolRing[] rings, long[] marks)
    {
        _partition = p;
        _gate = gate;
        _logger = logger;
        _written = written;
        _tempPath = p.Path + TickHistory.CompactingSuffix;
        _startLength = p.Length;
        _startRecords = p.Records;
        _rings = rings;
        _marks = marks;
    }

    /// <summary>The background part: how far the old file was copied and how many live ticks were written.</summary>
    public Task<(long CopiedTo, long Written)> Background { get; private set; } = null!;

    /// <summary>
    /// Whether the partition's file holds more than twice its live ticks plus 10,000 records (and the last failed
    /// compaction, if any, is far enough behind).
    /// </summary>
    public static bool IsDue(HistoryPartition p) => p.Records > 2 * p.Live + Slack && p.Records >= p.RetryCompactionAt;

    /// <summary>
    /// Starts compacting the partition's file as <see cref="HistoryPartition.Compaction"/>. <paramref name="gate"/> is
    /// the lock the rings are changed under; <paramref name="written"/> is invoked on the background task once the live
    /// ticks are written, before the old file's new records are copied.
    /// </summary>
    public static void Start(HistoryPartition p, Lock gate, ILogger logger, Action written)
    {
        var rings = p.Rings.ToArray();
        var marks = new long[rings.Length];
        for (int i = 0; i < rings.Length; i++) marks[i] = rings[i].Appended;
        var compaction = new TickHistoryCompaction(p, gate, logger, written, rings, marks);
        compaction.Background = Task.Run(() => compaction.WriteCompacted(), compaction._cancel.Token);
        p.Compaction = compaction;
    }

    /// <summary>
    /// Once <see cref="Background"/> is done: copies the records appended since, flushes the new file to disk and puts
    /// it in the old one's place, the old one renamed to <c>*.old</c> and deleted in the background. On failure the
    /// partition goes on appending to the old file and tries again later.
    /// </summary>
    public void Finish()
    {
        var p = _partition;
        p.Compaction = null;
        _cancel.Dispose();
        long before = p.Records;
        try
        {
            var (copiedTo, written) = Background.GetAwaiter().GetResult();
            using (var temp = new FileStream(_tempPath, FileMode.Open, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                temp.Seek(0, SeekOrigin.End);
                CopyRange(p.Path, copiedTo, p.Length, temp, CancellationToken.None);
                temp.Flush(flushToDisk: true);
            }
            // Renaming over the old file would free its blocks on this thread (tens of ms for hundreds of MB): it is
            // renamed aside instead and deleted in the background. Open restores it should a crash come in between.
            var old = p.Path + TickHistory.OldSuffix;
            p.OldDeleted.Wait();
            p.File.Dispose();
            try
            {
                File.Move(p.Path, old, overwrite: true);
                try
                {
                    File.Move(_tempPath, p.Path);
                }
                catch
                {
                    File.Move(old, p.Path);
                    throw;
                }
                p.Records = written + (p.Records - _startRecords);
                p.OldDeleted = Task.Run(() => TickHistoryLoader.TryDelete(old));
            }
            finally
            {
                p.File = HistoryPartition.OpenForAppend(p.Path);
                Volatile.Write(ref p.Length, p.File.Length);
            }
            LogCompacted(_logger, p.Path, before, p.Records, Stopwatch.GetElapsedTime(_started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            TickHistoryLoader.TryDelete(_tempPath);
            p.RetryCompactionAt = p.Records + p.Live + Slack;
            LogCompactionFailed(_logger, p.Path, ex.Message);
        }
    }

    /// <summary>Cancels the compaction, waits for its background part to stop and deletes the new file.</summary>
    public void Abandon()
    {
        _partition.Compaction = null;
        _cancel.Cancel();
        try { Background.Wait(); }
        catch (AggregateException) { }
        _cancel.Dispose();
        TickHistoryLoader.TryDelete(_tempPath);
    }

    /// <summary>
    /// Writes the ticks each ring held when the compaction started and still holds, then the old file's records
    /// appended since; returns how far the old file was copied and how many live ticks were written.
    /// </summary>
    private (long CopiedTo, long Written) WriteCompacted()
    {
        var p = _partition;
        var token = _cancel.Token;
        using var temp = new FileStream(_tempPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var writer = new TickRecordWriter(temp);
        long written = 0;
        for (int i = 0; i < _rings.Length; i++)
        {
            token.ThrowIfCancellationRequested();
            var ring = _rings[i];
            int n;
            lock (_gate)
            {
                if (ring.Removed) continue;
                n = (int)Math.Max(0, ring.Count - (ring.Appended - _marks[i]));
                writer.Copy(ring, n);
            }
            writer.Write(ring.Utf8, n);
            written += n;
        }
        writer.Flush();
        _written();
        // Records keep arriving while the new file is written and flushed to disk; catching up until few remain
        // leaves Finish, on the appending thread, little to copy and flush.
        long copiedTo = _startLength;
        for (int round = 0; round < 8; round++)
        {
            long target = Volatile.Read(ref p.Length);
            CopyRange(p.Path, copiedTo, target, temp, token);
            copiedTo = target;
            temp.Flush(flushToDisk: true);
            if (Volatile.Read(ref p.Length) - copiedTo <= CatchUpBytes) break;
        }
        return (copiedTo, written);
    }

    private static void CopyRange(string path, long from, long to, FileStream into, CancellationToken token)
    {
        if (to <= from) return;
        using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        source.Position = from;
        var buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            for (long left = to - from; left > 0;)
            {
                token.ThrowIfCancellationRequested();
                int read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read == 0) throw new IOException($"{path} ended {left} bytes early while it was being compacted");
                into.Write(buffer, 0, read);
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tick history {File} compacted from {Before} to {After} records in {Milliseconds:F0} ms")]
    private static partial void LogCompacted(ILogger logger, string file, long before, long after, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tick history {File} not compacted ({Reason}); appending to the current file")]
    private static partial void LogCompactionFailed(ILogger logger, string file, string reason);
}
