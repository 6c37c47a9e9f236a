using System.Diagnostics;
using Microsoft.Extensions.Logging;
using StreamLstm.Ticks;

namespace StreamLstm.Learning;

/// <summary>
/// Opens the file of a partition of a <see cref="TickHistory"/> as a <see cref="HistoryPartition"/> and recovers it
/// from a crash: undoes what a crash left beside the file, sets a file without a valid header aside, loads the records
/// up to the first bad one and truncates the file there, drops (and rewrites the file without) the ticks the consumer
/// is about to deliver again, and creates the file when there is none.
/// </summary>
internal sealed partial class TickHistoryLoader(string directory, int maxTicksPerSymbol, ILogger logger)
{
    /// <summary>Loads the partition's file at <paramref name="path"/>, or creates it empty; see <see cref="TickHistory.Open"/>.</summary>
    public HistoryPartition Load(int partition, string path, long fromOffset)
    {
        System.IO.Directory.CreateDirectory(directory);
        CleanUpAfterCrash(path);
        if (File.Exists(path))
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
            try
            {
                if (TickRecordFormat.ReadHeader(stream, out uint version) is { } problem)
                {
                    stream.Dispose();
                    var aside = $"{path}.corrupt-{DateTime.UtcNow:yyyyMMddTHHmmssfffZ}";
                    File.Move(path, aside);
                    LogSetAside(logger, path, problem, aside);
                }
                else
                {
                    var started = Stopwatch.GetTimestamp();
                    var p = new HistoryPartition(partition, path, stream);
                    var (end, replayed) = ReadRecords(p, version, fromOffset);
                    // Ticks removed on purpose (history drop) were seen all the same.
                    p.LastOffset = Math.Max(p.LastOffset, Math.Min(TickHistory.ReadSeen(path), fromOffset - 1));
                    if (end < stream.Length)
                    {
                        LogTruncated(logger, path, stream.Length - end);
                        stream.SetLength(end);
                    }
                    stream.Position = end;
                    p.Length = end;
                    if (replayed > 0)
                    {
                        // A symbol whose every record is about to be consumed again holds nothing until it is.
                        foreach (var ring in p.Rings)
                        {
                            if (ring.Count == 0) p.BySymbol.Remove(ring.Symbol);
                        }
                        p.Rings.RemoveAll(r => r.Count == 0);
                        Rewrite(p);
                        LogRewound(logger, path, replayed, fromOffset);
                    }
                    else if (version < TickRecordFormat.FormatVersion)
                    {
                        // Appends are of the current format: the file is rewritten in it first (what it holds is in memory).
                        Rewrite(p);
                    }
                    if (version < TickRecordFormat.FormatVersion) LogUpgraded(logger, path, version, TickRecordFormat.FormatVersion);
                    LogLoaded(logger, path, p.Live, p.Rings.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    return p;
                }
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }
        CreateEmpty(path);
        return new HistoryPartition(partition, path, HistoryPartition.OpenForAppend(path)) { Length = TickRecordFormat.HeaderSize };
    }

    /// <summary>
    /// Undoes what a crash left beside the history file <paramref name="path"/>: restores <c>*.old</c> when the file
    /// itself is missing (a compaction stopped between its renames), else deletes it, and deletes half-written files.
    /// </summary>
    public static void CleanUpAfterCrash(string path)
    {
        if (File.Exists(path + TickHistory.OldSuffix))
        {
            if (File.Exists(path)) TryDelete(path + TickHistory.OldSuffix);
            else File.Move(path + TickHistory.OldSuffix, path);
        }
        TryDelete(path + TickHistory.CompactingSuffix);
        TryDelete(path + TickHistory.NewSuffix);
    }

    /// <summary>Deletes the file if it can; one that is missing or in use is left as it is.</summary>
    public static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
    }

    /// <summary>
    /// Replaces the partition's file with one holding exactly its ticks in memory (written aside, flushed to disk,
    /// renamed into place): after a restart that dropped ticks the consumer will deliver again.
    /// </summary>
    private static void Rewrite(HistoryPartition p)
    {
        var temp = p.Path + TickHistory.NewSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            var writer = new TickRecordWriter(stream);
            long records = 0;
            foreach (var ring in p.Rings)
            {
                writer.Copy(ring, ring.Count);
                writer.Write(ring.Utf8, ring.Count);
                records += ring.Count;
            }
            writer.Flush();
            stream.Flush(flushToDisk: true);
            p.Records = records;
        }
        p.File.Dispose();
        File.Move(temp, p.Path, overwrite: true);
        p.File = HistoryPartition.OpenForAppend(p.Path);
        p.Length = p.File.Length;
    }

    /// <summary>
    /// Reads records into <paramref name="p"/> up to the first bad one, skipping those at <paramref name="fromOffset"/>
    /// or later; returns where the bad one starts and how many were skipped.
    /// </summary>
    private (long End, long Skipped) ReadRecords(HistoryPartition p, uint version, long fromOffset)
    {
        using var reader = new TickRecordReader(p.File, version);
        var lookup = p.BySymbol.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> chars = stackalloc char[TickRecordFormat.MaxSymbolBytes];
        long valid = TickRecordFormat.HeaderSize, skipped = 0;
        SymbolRing? previous = null;
        while (reader.TryRead(out var record, out var utf8, out long offset, out long time, out double price, out var extras))
        {
            SymbolRing? ring = previous;
            if (ring is null || !utf8.SequenceEqual(ring.Utf8))
            {
                if (!TickRecordFormat.TryDecodeSymbol(utf8, chars, out int length)) return (valid, skipped);
                if (!lookup.TryGetValue(chars[..length], out ring))
                {
                    var symbol = new string(chars[..length]);
                    if (SymbolRules.Validate(symbol) is not null) return (valid, skipped);
                    ring = p.AddRing(symbol, utf8.ToArray(), maxTicksPerSymbol);
                }
                previous = ring;
            }
            if (offset >= fromOffset)
            {
                skipped++;
            }
            else
            {
                if (offset > p.LastOffset) p.LastOffset = offset;
                if (ring.Count == 0 || time >= ring.Last)
                {
                    p.Live += 1 - ring.Add(offset, time, price, extras);
                    if (time > p.LoadedNewest) p.LoadedNewest = time;
                }
            }
            p.Records++;
            valid += record.Length;
        }
        return (valid, skipped);
    }

    private static void CreateEmpty(string path)
    {
        var temp = path + TickHistory.NewSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            Span<byte> header = stackalloc byte[TickRecordFormat.HeaderSize];
            TickRecordFormat.WriteHeader(header);
            stream.Write(header);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tick history {File}: {Ticks} ticks of {Symbols} symbols loaded in {Milliseconds:F0} ms")]
    private static partial void LogLoaded(ILogger logger, string file, long ticks, int symbols, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tick history {File}: {Bytes} bytes after the last complete record truncated (torn or corrupt tail)")]
    private static partial void LogTruncated(ILogger logger, string file, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tick history {File} has no valid header ({Reason}); set aside as {Aside}, the partition starts empty")]
    private static partial void LogSetAside(ILogger logger, string file, string reason, string aside);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tick history {File}: rewritten from format version {From} to {To}")]
    private static partial void LogUpgraded(ILogger logger, string file, uint from, uint to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tick history {File}: {Ticks} ticks recorded at offset {Offset} or later dropped; the consumer resumes there and delivers them again")]
    private static partial void LogRewound(ILogger logger, string file, long ticks, long offset);
}
