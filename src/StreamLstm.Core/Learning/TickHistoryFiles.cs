using System.Globalization;
using System.Runtime.InteropServices;
using StreamLstm.Ticks;

namespace StreamLstm.Learning;

/// <summary>
/// The tick history files of a topic, <c>{directory}/{topic}-{partition}.ticks</c> (format and crash recovery: see
/// <see cref="TickHistory"/>), for an operator: what they record, and removing a symbol's ticks from a time on, which
/// frees a symbol stuck behind a tick stamped too far ahead (every later tick of it is late, and a restarted worker
/// re-warms it from its history, that tick included).
/// </summary>
public static class TickHistoryFiles
{
    /// <summary>Returns null when <paramref name="topic"/> can name history files, else why it cannot.</summary>
    public static string? TopicProblem(string topic) =>
        topic.Length == 0 ? "topic is empty"
        : topic.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || topic is "." or ".." ? $"topic '{topic}' cannot be part of a file name"
        : null;

    /// <summary>
    /// The history files of <paramref name="topic"/> in <paramref name="directory"/>, by partition, named from
    /// <paramref name="directory"/> as given (relative stays relative); none when the directory does not exist. A
    /// partition whose file a crash left as <c>*.old</c> only is listed under the name the file is restored to.
    /// </summary>
    /// <exception cref="ArgumentException">The topic is empty or cannot be part of a file name.</exception>
    public static IReadOnlyList<string> Find(string directory, string topic)
    {
        TickHistory.CheckTopic(topic);
        if (!Directory.Exists(directory)) return [];
        var partitions = new SortedSet<int>();
        var prefix = topic + "-";
        foreach (var path in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path.AsSpan());
            if (name.EndsWith(TickHistory.OldSuffix, StringComparison.Ordinal)) name = name[..^TickHistory.OldSuffix.Length];
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(TickHistory.FileSuffix, StringComparison.Ordinal)) continue;
            var digits = name[prefix.Length..^TickHistory.FileSuffix.Length];
            // Only the names a worker writes: no sign, no leading zeros.
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int partition)
                && digits.SequenceEqual(partition.ToString(CultureInfo.InvariantCulture)))
                partitions.Add(partition);
        }
        return [.. partitions.Select(p => Path.Combine(directory, TickHistory.FileName(topic, p)))];
    }

    /// <summary>
    /// Per symbol, in ordinal order, the ticks recorded in the history files of <paramref name="topic"/> and the first
    /// and last event time among them, read up to where a worker would stop loading each file. The records may include
    /// ticks a worker does not hold (beyond its count or age bound, until the file is compacted). The files are only
    /// read, so a worker may go on appending meanwhile; what it has not written out yet is missed.
    /// </summary>
    /// <exception cref="ArgumentException">The topic is empty or cannot be part of a file name.</exception>
    /// <exception cref="InvalidDataException">A file is not a tick history file.</exception>
    public static IReadOnlyList<RecordedSymbol> Summarize(string directory, string topic)
    {
        var symbols = new Dictionary<string, (long Ticks, long First, long Last)>(StringComparer.Ordinal);
        foreach (var file in Find(directory, topic))
        {
            var path = File.Exists(file) ? file : file + TickHistory.OldSuffix;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            using var records = new LoadableRecords(stream, CheckHeader(stream, file));
            while (records.TryRead(out _, out _, out long time))
            {
                ref var seen = ref CollectionsMarshal.GetValueRefOrAddDefault(symbols, records.Symbol, out bool exists);
                seen = exists ? (seen.Ticks + 1, Math.Min(seen.First, time), Math.Max(seen.Last, time)) : (1, time, time);
            }
        }
        return [.. symbols.OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => new RecordedSymbol(s.Key, s.Value.Ticks, new DateTime(s.Value.First, DateTimeKind.Utc), new DateTime(s.Value.Last, DateTimeKind.Utc)))];
    }

    /// <summary>
    /// Removes every tick of <paramref name="symbol"/> stamped at or after <paramref name="from"/> from the history
    /// files of <paramref name="topic"/> in <paramref name="directory"/>, for use while no worker runs on them. Every
    /// file is first opened exclusively and its header checked, so nothing changes when one is in use (a worker has it
    /// open) or is not a history file; then what a crash left beside them is cleaned up as a worker would at loading.
    /// Each file holding such ticks is rewritten atomically (written aside, flushed to disk, renamed into place) with
    /// every other record byte for byte and in order, and the tail a worker would cut off at loading, if any, unchanged.
    /// </summary>
    /// <returns>Each history file of the topic, as <see cref="Find"/> names it, with the ticks removed from it.</returns>
    /// <exception cref="ArgumentException">The topic or the symbol is invalid.</exception>
    /// <exception cref="IOException">A file is in use, or reading or writing one failed.</exception>
    /// <exception cref="InvalidDataException">A file is not a tick history file.</exception>
    public static IReadOnlyList<(string File, long Removed)> DropTicks(string directory, string topic, string symbol, DateTime from)
    {
        var utf8 = TickHistory.SymbolBytes(symbol);
        long fromTime = (from.Kind == DateTimeKind.Local ? from.ToUniversalTime() : from).Ticks;
        var files = Find(directory, topic);
        var streams = new FileStream?[files.Count];
        try
        {
            for (int i = 0; i < files.Count; i++)
            {
                if (File.Exists(files[i])) streams[i] = OpenExclusive(files[i]);
            }
            // No worker holds any of them now, so nothing beside them is in the middle of being written.
            foreach (var file in files) TickHistory.CleanUpAfterCrash(file);
            var versions = new uint[files.Count];
            for (int i = 0; i < files.Count; i++)
            {
                streams[i] ??= OpenExclusive(files[i]);
                versions[i] = CheckHeader(streams[i]!, files[i]);
            }
            var removed = new (string File, long Removed)[files.Count];
            for (int i = 0; i < files.Count; i++)
            {
                removed[i] = (files[i], Drop(streams[i]!, versions[i], files[i], utf8, fromTime));
                streams[i] = null;
            }
            return removed;
        }
        finally
        {
            foreach (var stream in streams) stream?.Dispose();
        }
    }

    /// <summary>Opens the file so that no one else may (a worker holds its files open, sharing them for reading only).</summary>
    private static FileStream OpenExclusive(string file)
    {
        try
        {
            return new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new IOException($"{file} is in use (stop the worker first)", ex);
        }
    }

    /// <summary>The file's format version; throws when it is not one a worker would load.</summary>
    private static uint CheckHeader(FileStream stream, string file)
    {
        if (TickHistory.ReadHeader(stream, out uint version) is { } problem)
            throw new InvalidDataException($"{file} is not a tick history file a worker would load ({problem})");
        return version;
    }

    /// <summary>Rewrites the file without the symbol's ticks at or after <paramref name="from"/>, when it has any; disposes <paramref name="source"/>.</summary>
    private static long Drop(FileStream source, uint version, string file, byte[] symbol, long from)
    {
        using (source)
        {
            long removed = 0, end = TickHistory.HeaderSize, seen = -1;
            using (var records = new LoadableRecords(source, version))
            {
                while (records.TryRead(out var record, out var utf8, out long time))
                {
                    if (time >= from && utf8.SequenceEqual(symbol)) removed++;
                    end += record.Length;
                }
            }
            if (removed == 0) return 0;

            var temp = file + TickHistory.NewSuffix;
            using (var target = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                Span<byte> header = stackalloc byte[TickHistory.HeaderSize];
                source.Position = 0;
                source.ReadExactly(header);
                target.Write(header);
                using (var reader = new TickRecordReader(source, version))
                {
                    for (long at = TickHistory.HeaderSize; at < end;)
                    {
                        // Read once already, and no one else may write the file.
                        if (!reader.TryRead(out var record, out var utf8, out long offset, out long time, out _))
                            throw new IOException($"{file} changed while it was being rewritten");
                        if (time < from || !utf8.SequenceEqual(symbol)) target.Write(record);
                        seen = Math.Max(seen, offset);
                        at += record.Length;
                    }
                }
                source.Position = end;
                source.CopyTo(target);
                target.Flush(flushToDisk: true);
            }
            // Windows renames over a file only once it is closed.
            source.Dispose();
            File.Move(temp, file, overwrite: true);
            // The offsets the file had seen stay seen: a worker that takes the partition must not read the removed ticks
            // back from the topic as missing.
            TickHistory.WriteSeen(file, seen);
            return removed;
        }
    }

    /// <summary>
    /// A history file's records from the stream's position on, up to the first a worker would not load: one that
    /// <see cref="TickRecordReader"/> refuses, or one whose symbol is not valid UTF-8 or not valid.
    /// </summary>
    private sealed class LoadableRecords(Stream stream, uint version) : IDisposable
    {
        private readonly TickRecordReader _reader = new(stream, version);
        private readonly HashSet<string> _valid = new(StringComparer.Ordinal);
        private readonly char[] _chars = new char[TickHistory.MaxSymbolBytes];
        private readonly byte[] _last = new byte[TickHistory.MaxSymbolBytes];
        private int _lastLength;

        /// <summary>The symbol of the record read last.</summary>
        public string Symbol { get; private set; } = "";

        public bool TryRead(out ReadOnlySpan<byte> record, out ReadOnlySpan<byte> utf8, out long time)
        {
            if (!_reader.TryRead(out record, out utf8, out _, out time, out _)) return false;
            if (utf8.SequenceEqual(_last.AsSpan(0, _lastLength))) return true;
            if (!TickHistory.TryDecodeSymbol(utf8, _chars, out int length)) return false;
            var lookup = _valid.GetAlternateLookup<ReadOnlySpan<char>>();
            if (!lookup.TryGetValue(_chars.AsSpan(0, length), out var symbol))
            {
                symbol = new string(_chars, 0, length);
                if (SymbolRules.Validate(symbol) is not null) return false;
                _valid.Add(symbol);
            }
            Symbol = symbol;
            utf8.CopyTo(_last);
            _lastLength = utf8.Length;
            return true;
        }

        public void Dispose() => _reader.Dispose();
    }
}
