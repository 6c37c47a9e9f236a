using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamLstm.Ticks;

namespace StreamLstm.Learning;

/// <summary>
/// The worker's accumulated ticks per symbol: held in memory (a ring of at most
/// <see cref="HistorySettings.MaxTicksPerSymbol"/> ticks per symbol, none older than that symbol's newest held tick
/// minus <see cref="HistorySettings.MaxAge"/>) and mirrored to an append-only file per Kafka partition,
/// <c>{Directory}/{topic}-{partition}.ticks</c>, so it survives restarts.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Append"/>, <see cref="Open"/>, <see cref="Close"/>, <see cref="Flush"/> and <see cref="Count"/> are
/// called from one thread; <see cref="Snapshot"/>, <see cref="Recent(string, int)"/>, <see cref="Appended"/>,
/// <see cref="Ticks"/>, <see cref="Symbols"/> and <see cref="Newest"/> may be called from any other thread meanwhile.
/// </para>
/// <para>
/// The age bound is each symbol's own, in event time: a tick stamped far ahead moves only its own symbol's bound. A
/// symbol held in several partitions is bounded from its newest tick over all of them. Every held tick is within its
/// bound at all times: <see cref="Append"/> and <see cref="Open"/> trim a symbol's ticks when its newest moves on, so
/// the readers never have to.
/// </para>
/// <para>
/// File format, little-endian: an 8-byte header, the ASCII bytes <c>SLTH</c> then the format version (2) as u32;
/// then records <c>[u16 n][n bytes: UTF-8 symbol][i64 Kafka offset][i64 event time, UTC .NET ticks][f64 price][u32
/// CRC-32C of the record's preceding bytes]</c>, 1 ≤ n ≤ 256. The offset lets a restarted worker drop the ticks it will
/// consume again (those its points were not acknowledged for): see <see cref="Open"/>. Loading stops at the first record that is incomplete, fails its
/// checksum or holds an invalid symbol, time or price, and truncates the file there (a crash mid-append tears at most
/// the last records). A file without a valid header is renamed to <c>*.corrupt-&lt;utc&gt;</c> and the partition
/// starts empty.
/// </para>
/// <para>
/// Compaction: once a file holds more than twice the partition's live ticks plus 10,000 records, a background task
/// writes the live ticks as of that moment to <c>*.compacting</c>, then copies the records appended to the old file
/// since then and flushes it to disk; the next <see cref="Flush"/> copies the few appended after that, flushes the new file to disk and
/// puts it in the old one's place: the old file is renamed to <c>*.old</c>, the new one to the file's name, and
/// <c>*.old</c> is deleted in the background. Until then the old file stays complete and renames are atomic, so after a
/// crash at any point the partition opens the old file (restoring <c>*.old</c> when the file itself is missing) or the
/// new one; leftover <c>*.compacting</c> and <c>*.old</c> files are deleted.
/// </para>
/// <para><see cref="TickHistoryFiles"/> reads the files, and removes ticks from them, while no worker has them open.</para>
/// </remarks>
public sealed class TickHistory : IDisposable
{
    internal const int HeaderSize = TickRecordFormat.HeaderSize;
    internal const int MaxSymbolBytes = TickRecordFormat.MaxSymbolBytes;
    internal const long NoTime = long.MinValue;
    internal const string CompactingSuffix = ".compacting";
    internal const string NewSuffix = ".new";
    internal const string OldSuffix = ".old";
    internal const string FileSuffix = ".ticks";

    private readonly HistorySettings _settings;
    private readonly string _topic;
    private readonly string _directory;
    private readonly long _maxAge;
    private readonly ILogger _logger;
    private readonly TickHistoryLoader _loader;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, HistoryPartition> _partitions = [];
    private readonly Dictionary<string, SymbolEntry> _symbols = new(StringComparer.Ordinal);
    private HistoryPartition? _last;
    private long _newest = NoTime;
    private long _held;
    private long _nextOrder;
    private bool _emptied;
    private bool _disposed;

    /// <summary>A history of the ticks of <paramref name="topic"/>; no partition is open yet.</summary>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The settings are invalid.</exception>
    public TickHistory(HistorySettings settings, string topic, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        CheckTopic(topic);
        _settings = settings;
        _topic = topic;
        _directory = Path.GetFullPath(settings.Directory);
        _maxAge = settings.MaxAge.Ticks;
        _logger = logger ?? NullLogger.Instance;
        _loader = new TickHistoryLoader(_directory, settings.MaxTicksPerSymbol, _logger);
    }

    /// <summary>Newest event time held over all symbols (UTC), or null when nothing is held.</summary>
    public DateTime? Newest
    {
        get
        {
            lock (_gate) return _newest == NoTime ? null : new DateTime(_newest, DateTimeKind.Utc);
        }
    }

    /// <summary>Ticks held in memory.</summary>
    public long Ticks
    {
        get
        {
            lock (_gate) return _held;
        }
    }

    /// <summary>Symbols held in memory.</summary>
    public int Symbols
    {
        get
        {
            lock (_gate) return _symbols.Count;
        }
    }

    /// <summary>The open partitions, ascending.</summary>
    public IReadOnlyCollection<int> OpenPartitions
    {
        get
        {
            lock (_gate) return [.. _partitions.Keys.Order()];
        }
    }

    /// <summary>The history file of <paramref name="partition"/>.</summary>
    public string FilePath(int partition) => Path.Combine(_directory, FileName(_topic, partition));

    /// <summary>Whether <paramref name="partition"/> is open.</summary>
    public bool IsOpen(int partition) => _partitions.ContainsKey(partition);

    /// <summary>
    /// Loads the partition's file into memory, applying both bounds, or starts it empty; does nothing when it is open.
    /// Ticks recorded at <paramref name="fromOffset"/> or later are dropped (from the file too): the consumer resumes
    /// there, so they are about to be processed, and appended, again. A torn or corrupt tail is truncated away and a
    /// file without a valid header is set aside, both with a warning.
    /// </summary>
    public void Open(int partition, long fromOffset = long.MaxValue)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (_partitions.ContainsKey(partition)) return;
        var p = _loader.Load(partition, FilePath(partition), fromOffset);
        lock (_gate)
        {
            _partitions.Add(partition, p);
            foreach (var ring in p.Rings) Register(ring);
            _held += p.Live;
            if (p.LoadedNewest > _newest) _newest = p.LoadedNewest;
            // A loaded ring may move its symbol's newest on, past ticks the symbol's other partitions hold.
            foreach (var ring in p.Rings) TrimSymbol(ring.Entry);
        }
    }

    /// <summary>Flushes the partition's appends to disk, closes its file (which stays) and drops its symbols from memory.</summary>
    public void Close(int partition)
    {
        if (!_partitions.TryGetValue(partition, out var p)) return;
        try
        {
            p.Compaction?.Abandon();
            p.OldDeleted.Wait();
            WriteBuffer(p);
            p.File.Flush(flushToDisk: true);
        }
        finally
        {
            p.File.Dispose();
            if (_last == p) _last = null;
            lock (_gate)
            {
                _partitions.Remove(partition);
                foreach (var ring in p.Rings) Unregister(ring);
                _held -= p.Live;
                _newest = NoTime;
                foreach (var entry in _symbols.Values)
                {
                    if (entry.Newest > _newest) _newest = entry.Newest;
                }
            }
        }
    }

    /// <summary>
    /// Adds a tick of <paramref name="symbol"/> (opening the partition when it is not open) and queues its record for
    /// the partition's file. A tick older than the symbol's newest held tick in this partition, or older than the
    /// symbol's age bound (its newest held tick in any partition minus <see cref="HistorySettings.MaxAge"/>), is ignored.
    /// </summary>
    /// <exception cref="ArgumentException">The symbol is invalid per <see cref="SymbolRules"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The price is not positive and finite.</exception>
    public void Append(int partition, long offset, string symbol, DateTime timestamp, double price)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!double.IsFinite(price) || price <= 0)
            throw new ArgumentOutOfRangeException(nameof(price), price, "a price is positive and finite");
        var p = _last is { } last && last.Id == partition ? last : PartitionFor(partition);
        long time = (timestamp.Kind == DateTimeKind.Local ? timestamp.ToUniversalTime() : timestamp).Ticks;
        SymbolRing? ring;
        lock (_gate)
        {
            if (p.BySymbol.TryGetValue(symbol, out ring) && ring.Count > 0 && time < ring.Last) return;
            // The symbol may be held in other partitions too: its age bound is measured over all of them.
            var entry = ring?.Entry ?? _symbols.GetValueOrDefault(symbol);
            if (entry is not null && time < Cutoff(entry)) return;
            ring ??= AddRing(p, symbol);
            int dropped = ring.Add(offset, time, price);
            p.Live += 1 - dropped;
            _held += 1 - dropped;
            if (time > _newest) _newest = time;
            entry = ring.Entry;
            if (time > entry.Newest)
            {
                entry.Newest = time;
                TrimSymbol(entry);
            }
        }
        int size = TickRecordFormat.RecordOverhead + ring.Utf8.Length;
        if (HistoryPartition.WriteBufferSize - p.Buffered < size) WriteBuffer(p);
        TickRecordFormat.EncodeRecord(p.Buffer.AsSpan(p.Buffered, size), ring.Utf8, offset, time, price);
        p.Buffered += size;
        p.Records++;
    }

    /// <summary>
    /// Hands the buffered appends of every open partition to the operating system, finishes or starts compactions,
    /// and forgets the rings whose ticks all aged out (those of a symbol whose newest tick is in another partition).
    /// Cheap when nothing was appended since the last call.
    /// </summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var p in _partitions.Values)
        {
            WriteBuffer(p);
            if (p.Compaction is { Background.IsCompleted: true } done) done.Finish();
            else if (p.Compaction is null && TickHistoryCompaction.IsDue(p)) TickHistoryCompaction.Start(p, _gate, _logger, () => CompactionWritten?.Invoke());
        }
        // Read without the lock: only this thread trims, so only this thread sets it.
        if (!_emptied) return;
        lock (_gate)
        {
            _emptied = false;
            foreach (var p in _partitions.Values)
            {
                if (p.Rings.Exists(r => r.Count == 0)) p.Rings.RemoveAll(RemoveIfEmpty);
            }
        }
    }

    /// <summary>The symbol's last <paramref name="count"/> held ticks, oldest first; empty when the symbol is unknown.</summary>
    public IReadOnlyList<Tick> Recent(string symbol, int count) => Recent(symbol, count, out _);

    /// <summary>
    /// The symbol's last <paramref name="count"/> held ticks, oldest first, and how many ticks were ever appended for it
    /// (<see cref="Appended"/>) at the same instant: safe to call from any thread.
    /// </summary>
    public IReadOnlyList<Tick> Recent(string symbol, int count, out long appended)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var ticks = new List<Tick>();
        appended = 0;
        lock (_gate)
        {
            if (!_symbols.TryGetValue(symbol, out var entry)) return [];
            foreach (var ring in entry.Rings) appended += ring.Appended;
            if (count == 0) return [];
            foreach (var ring in entry.Rings) CopyHeld(ring, count, ticks);
            if (entry.Rings.Count == 1) return ticks;
        }
        return ticks.OrderBy(t => t.Timestamp).TakeLast(count).ToList();
    }

    /// <summary>
    /// Ticks ever appended for <paramref name="symbol"/> since its partitions were opened (loaded ones included), a
    /// counter that only grows while they stay open: the difference of two readings is the ticks appended in between.
    /// </summary>
    public long Appended(string symbol)
    {
        lock (_gate)
        {
            if (!_symbols.TryGetValue(symbol, out var entry)) return 0;
            long appended = 0;
            foreach (var ring in entry.Rings) appended += ring.Appended;
            return appended;
        }
    }

    /// <summary>Ticks held of <paramref name="symbol"/>; 0 when it is unknown.</summary>
    public int Count(string symbol)
    {
        lock (_gate)
        {
            if (!_symbols.TryGetValue(symbol, out var entry)) return 0;
            int count = 0;
            foreach (var ring in entry.Rings) count += ring.Count;
            return count;
        }
    }

    /// <summary>
    /// Every held tick of every open partition within both bounds, grouped by symbol (symbols in order of first
    /// appearance), each symbol's ticks in time order. Safe to call while another thread appends: each symbol is copied
    /// at one instant, symbols one after another.
    /// </summary>
    public List<Tick> Snapshot()
    {
        SymbolRing[][] groups;
        long held;
        lock (_gate)
        {
            held = _held;
            groups = [.. _symbols.Values.OrderBy(e => e.Order).Select(e => e.Rings.ToArray())];
        }
        var ticks = new List<Tick>((int)Math.Min(held + held / 32 + 1024, Array.MaxLength));
        var offsets = new long[64];
        var times = new long[64];
        var prices = new double[64];
        foreach (var rings in groups)
        {
            int start = ticks.Count;
            foreach (var ring in rings)
            {
                // Copied under the lock as raw values and turned into ticks outside it, so Append waits for one
                // symbol's copy at most.
                int n;
                lock (_gate)
                {
                    if (ring.Removed) continue;
                    n = ring.Count;
                    if (times.Length < n)
                    {
                        times = new long[Math.Max(n, times.Length * 2)];
                        prices = new double[times.Length];
                        offsets = new long[times.Length];
                    }
                    ring.CopyOldest(n, offsets, times, prices);
                }
                int at = ticks.Count;
                CollectionsMarshal.SetCount(ticks, at + n);
                var into = CollectionsMarshal.AsSpan(ticks)[at..];
                for (int i = 0; i < n; i++) into[i] = new Tick(ring.Symbol, new DateTime(times[i], DateTimeKind.Utc), prices[i]);
            }
            if (rings.Length > 1)
            {
                var merged = ticks.GetRange(start, ticks.Count - start).OrderBy(t => t.Timestamp).ToList();
                ticks.RemoveRange(start, merged.Count);
                ticks.AddRange(merged);
            }
        }
        return ticks;
    }

    /// <summary>Flushes and closes every open partition.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        foreach (var partition in _partitions.Keys.ToArray()) Close(partition);
        _disposed = true;
    }

    /// <summary>Invoked on the compaction task after the live ticks are written, before the old file's new records are copied.</summary>
    internal Action? CompactionWritten { get; set; }

    /// <summary>The partition's running compaction, or a completed task when there is none.</summary>
    internal Task CompactionTask(int partition) =>
        _partitions.TryGetValue(partition, out var p) && p.Compaction is { } c ? c.Background : Task.CompletedTask;

    private long Cutoff(SymbolEntry entry) => entry.Newest == NoTime ? NoTime : entry.Newest - _maxAge;

    /// <exception cref="ArgumentException">The topic is empty or cannot be part of a file name.</exception>
    internal static void CheckTopic(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (TickHistoryFiles.TopicProblem(topic) is { } problem) throw new ArgumentException(problem, nameof(topic));
    }

    internal static string FileName(string topic, int partition) => $"{topic}-{partition}{FileSuffix}";

    /// <inheritdoc cref="TickRecordFormat.SymbolBytes"/>
    internal static byte[] SymbolBytes(string symbol) => TickRecordFormat.SymbolBytes(symbol);

    /// <inheritdoc cref="TickRecordFormat.TryDecodeSymbol"/>
    internal static bool TryDecodeSymbol(ReadOnlySpan<byte> utf8, Span<char> chars, out int length) =>
        TickRecordFormat.TryDecodeSymbol(utf8, chars, out length);

    /// <inheritdoc cref="TickHistoryLoader.CleanUpAfterCrash"/>
    internal static void CleanUpAfterCrash(string path) => TickHistoryLoader.CleanUpAfterCrash(path);

    private HistoryPartition PartitionFor(int partition)
    {
        if (!_partitions.TryGetValue(partition, out var p))
        {
            Open(partition);
            p = _partitions[partition];
        }
        _last = p;
        return p;
    }

    private SymbolRing AddRing(HistoryPartition p, string symbol)
    {
        var ring = p.AddRing(symbol, SymbolBytes(symbol), _settings.MaxTicksPerSymbol);
        Register(ring);
        return ring;
    }

    private void Register(SymbolRing ring)
    {
        if (!_symbols.TryGetValue(ring.Symbol, out var entry))
            _symbols.Add(ring.Symbol, entry = new SymbolEntry(_nextOrder++));
        entry.Rings.Add(ring);
        ring.Entry = entry;
        if (ring.Count > 0 && ring.Last > entry.Newest) entry.Newest = ring.Last;
    }

    private void Unregister(SymbolRing ring)
    {
        ring.Removed = true;
        var entry = ring.Entry;
        entry.Rings.Remove(ring);
        if (entry.Rings.Count == 0)
        {
            _symbols.Remove(ring.Symbol);
            return;
        }
        // The symbol's newest tick may have been this ring's: the rings left are bounded from their own newest on.
        entry.Newest = NoTime;
        foreach (var other in entry.Rings)
        {
            if (other.Count > 0 && other.Last > entry.Newest) entry.Newest = other.Last;
        }
    }

    private bool RemoveIfEmpty(SymbolRing ring)
    {
        if (ring.Count > 0) return false;
        ring.Owner.BySymbol.Remove(ring.Symbol);
        Unregister(ring);
        return true;
    }

    /// <summary>Drops the ticks of every ring of the symbol that are older than its age bound.</summary>
    private void TrimSymbol(SymbolEntry entry)
    {
        long cutoff = Cutoff(entry);
        foreach (var ring in entry.Rings)
        {
            if (ring.Count == 0 || ring.Oldest >= cutoff) continue;
            int dropped = ring.DropBefore(cutoff);
            ring.Owner.Live -= dropped;
            _held -= dropped;
            if (ring.Count == 0) _emptied = true;
        }
    }

    private static void CopyHeld(SymbolRing ring, int most, List<Tick> into)
    {
        if (ring.Removed) return;
        for (int age = Math.Max(0, ring.Count - most); age < ring.Count; age++)
            into.Add(new Tick(ring.Symbol, new DateTime(ring.TimeAt(age), DateTimeKind.Utc), ring.PriceAt(age)));
    }

    private void WriteBuffer(HistoryPartition p)
    {
        if (p.Buffered == 0) return;
        try
        {
            p.File.Write(p.Buffer, 0, p.Buffered);
        }
        catch
        {
            // A partial write would leave a torn record in the middle of the file once the buffer is written again.
            try { p.File.SetLength(p.Length); p.File.Position = p.Length; }
            catch (IOException) { }
            throw;
        }
        Volatile.Write(ref p.Length, p.Length + p.Buffered);
        p.Buffered = 0;
    }

    /// <inheritdoc cref="TickRecordFormat.ReadHeader"/>
    internal static string? ReadHeader(FileStream stream) => TickRecordFormat.ReadHeader(stream);
}
