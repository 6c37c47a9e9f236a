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
/// <see cref="Append(int, long, in Tick)"/>, <see cref="Open"/>, <see cref="Close"/>, <see cref="Flush"/> and <see cref="Count"/> are
/// called from one thread; <see cref="Snapshot"/>, <see cref="Recent(string, int)"/>, <see cref="Appended"/>,
/// <see cref="Ticks"/>, <see cref="Symbols"/> and <see cref="Newest"/> may be called from any other thread meanwhile.
/// </para>
/// <para>
/// The age bound is each symbol's own, in event time: a tick stamped far ahead moves only its own symbol's bound. A
/// symbol held in several partitions is bounded from its newest tick over all of them. Every held tick is within its
/// bound at all times: <see cref="Append(int, long, in Tick)"/> and <see cref="Open"/> trim a symbol's ticks when its newest moves on, so
/// the readers never have to.
/// </para>
/// <para>
/// File format, little-endian: an 8-byte header, the ASCII bytes <c>SLTH</c> then the format version (3) as u32;
/// then records <c>[u16 n][n bytes: UTF-8 symbol][i64 Kafka offset][i64 event time, UTC .NET ticks][f64 price][u8
/// flags: 1 volume, 2 quote][f64 volume, if flagged][f64 bid][f64 ask, if flagged][u32 CRC-32C of the record's
/// preceding bytes]</c>, 1 ≤ n ≤ 256. Files of version 2 (records without the flags and what follows them) are read,
/// and rewritten as version 3 when a worker opens them. The offset lets a restarted worker drop the ticks it will
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
    // The public face and the partition bookkeeping; the rest is shared out: SymbolTable and SymbolRing hold the
    // ticks, TickHistoryQueries reads them, TickHistoryLoader opens a partition's file and recovers it from a crash,
    // TickHistoryCompaction compacts it, and TickRecordFormat, TickRecordReader and TickRecordWriter know its records.
    internal const int HeaderSize = TickRecordFormat.HeaderSize;
    internal const int MaxSymbolBytes = TickRecordFormat.MaxSymbolBytes;
    /// <summary>The event time of no tick: what a newest time is while nothing is held.</summary>
    internal const long NoTime = long.MinValue;
    internal const string CompactingSuffix = ".compacting";
    internal const string NewSuffix = ".new";
    internal const string OldSuffix = ".old";
    internal const string FileSuffix = ".ticks";

    private readonly HistorySettings _settings;
    private readonly string _topic;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly TickHistoryLoader _loader;
    private readonly SymbolTable _symbols;
    private readonly TickHistoryQueries _queries;
    private readonly Dictionary<int, HistoryPartition> _partitions = [];
    private HistoryPartition? _last;
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
        _logger = logger ?? NullLogger.Instance;
        _loader = new TickHistoryLoader(_directory, settings.MaxTicksPerSymbol, _logger);
        _symbols = new SymbolTable(settings.MaxAge.Ticks);
        _queries = new TickHistoryQueries(_symbols);
    }

    /// <summary>Newest event time held over all symbols (UTC), or null when nothing is held.</summary>
    public DateTime? Newest => _queries.Newest;

    /// <summary>Ticks held in memory.</summary>
    public long Ticks => _queries.Ticks;

    /// <summary>Symbols held in memory.</summary>
    public int Symbols => _queries.Symbols;

    /// <summary>The open partitions, ascending.</summary>
    public IReadOnlyCollection<int> OpenPartitions
    {
        get
        {
            lock (_symbols.Gate) return [.. _partitions.Keys.Order()];
        }
    }

    /// <summary>The history file of <paramref name="partition"/>.</summary>
    public string FilePath(int partition) => Path.Combine(_directory, FileName(_topic, partition));

    /// <summary>
    /// The newest Kafka offset of <paramref name="partition"/> its history has seen (recorded in its file or appended
    /// since, kept or not); -1 when none, or the partition is not open.
    /// </summary>
    public long LastOffset(int partition) => _partitions.TryGetValue(partition, out var p) ? p.LastOffset : -1;

    /// <summary>The bounds the history keeps.</summary>
    public HistorySettings Settings => _settings;

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
        lock (_symbols.Gate)
        {
            _partitions.Add(partition, p);
            foreach (var ring in p.Rings) _symbols.Register(ring);
            _symbols.Held += p.Live;
            if (p.LoadedNewest > _symbols.Newest) _symbols.Newest = p.LoadedNewest;
            // A loaded ring may move its symbol's newest on, past ticks the symbol's other partitions hold.
            foreach (var ring in p.Rings) _symbols.Trim(ring.Entry);
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
            lock (_symbols.Gate)
            {
                _partitions.Remove(partition);
                foreach (var ring in p.Rings) _symbols.Unregister(ring);
                _symbols.Held -= p.Live;
                _symbols.RefreshNewest();
            }
        }
    }

    /// <summary>
    /// Adds a tick of <paramref name="symbol"/> (opening the partition when it is not open) and queues its record for
    /// the partition's file. A tick older than the symbol's newest held tick in this partition, or older than the
    /// symbol's age bound (its newest held tick in any partition minus <see cref="HistorySettings.MaxAge"/>), is ignored.
    /// </summary>
    /// <exception cref="ArgumentException">The symbol is invalid per <see cref="SymbolRules"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The price is not positive and finite, or the volume or quote is invalid.</exception>
    public void Append(int partition, long offset, string symbol, DateTime timestamp, double price) =>
        Append(partition, offset, symbol, timestamp, price, TickExtras.None);

    /// <summary>Adds <paramref name="tick"/> with its volume and quote; see <see cref="Append(int, long, string, DateTime, double)"/>.</summary>
    public void Append(int partition, long offset, in Tick tick) =>
        Append(partition, offset, tick.Symbol, tick.Timestamp, tick.Price, TickExtras.Of(tick.Volume, tick.Bid, tick.Ask));

    private void Append(int partition, long offset, string symbol, DateTime timestamp, double price, in TickExtras extras)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!double.IsFinite(price) || price <= 0)
            throw new ArgumentOutOfRangeException(nameof(price), price, "a price is positive and finite");
        if (!extras.IsValid)
            throw new ArgumentOutOfRangeException(nameof(extras), extras, "a volume is non-negative and finite, a quote's bid positive and at most its ask");
        var p = _last is { } last && last.Id == partition ? last : PartitionFor(partition);
        if (offset > p.LastOffset) p.LastOffset = offset;
        long time = (timestamp.Kind == DateTimeKind.Local ? timestamp.ToUniversalTime() : timestamp).Ticks;
        SymbolRing? ring;
        lock (_symbols.Gate)
        {
            if (p.BySymbol.TryGetValue(symbol, out ring) && ring.Count > 0 && time < ring.Last) return;
            // The symbol may be held in other partitions too: its age bound is measured over all of them.
            var entry = ring?.Entry ?? _symbols.GetValueOrDefault(symbol);
            if (entry is not null && time < _symbols.Cutoff(entry)) return;
            ring ??= AddRing(p, symbol);
            int dropped = ring.Add(offset, time, price, extras);
            p.Live += 1 - dropped;
            _symbols.Held += 1 - dropped;
            if (time > _symbols.Newest) _symbols.Newest = time;
            entry = ring.Entry;
            if (time > entry.Newest)
            {
                entry.Newest = time;
                _symbols.Trim(entry);
            }
        }
        int size = TickRecordFormat.RecordSize(ring.Utf8.Length, extras);
        if (HistoryPartition.WriteBufferSize - p.Buffered < size) WriteBuffer(p);
        TickRecordFormat.EncodeRecord(p.Buffer.AsSpan(p.Buffered, size), ring.Utf8, offset, time, price, extras);
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
            else if (p.Compaction is null && TickHistoryCompaction.IsDue(p))
                TickHistoryCompaction.Start(p, _symbols.Gate, _logger, () => CompactionWritten?.Invoke());
        }
        // Read without the lock: only this thread trims, so only this thread sets it.
        if (!_symbols.Emptied) return;
        lock (_symbols.Gate)
        {
            _symbols.Emptied = false;
            foreach (var p in _partitions.Values)
            {
                if (p.Rings.Exists(r => r.Count == 0)) p.Rings.RemoveAll(_symbols.RemoveIfEmpty);
            }
        }
    }

    /// <summary>The symbol's last <paramref name="count"/> held ticks, oldest first; empty when the symbol is unknown.</summary>
    public IReadOnlyList<Tick> Recent(string symbol, int count) => Recent(symbol, count, out _);

    /// <summary>
    /// The symbol's last <paramref name="count"/> held ticks, oldest first, and how many ticks were ever appended for it
    /// (<see cref="Appended"/>) at the same instant: safe to call from any thread.
    /// </summary>
    public IReadOnlyList<Tick> Recent(string symbol, int count, out long appended) => _queries.Recent(symbol, count, out appended);

    /// <summary>
    /// Ticks ever appended for <paramref name="symbol"/> since its partitions were opened (loaded ones included), a
    /// counter that only grows while they stay open: the difference of two readings is the ticks appended in between.
    /// </summary>
    public long Appended(string symbol) => _queries.Appended(symbol);

    /// <summary>Ticks held of <paramref name="symbol"/>; 0 when it is unknown.</summary>
    public int Count(string symbol) => _queries.Count(symbol);

    /// <summary>
    /// Every held tick of every open partition within both bounds, grouped by symbol (symbols in order of first
    /// appearance), each symbol's ticks in time order. Safe to call while another thread appends: each symbol is copied
    /// at one instant, symbols one after another.
    /// </summary>
    public List<Tick> Snapshot() => _queries.Snapshot();

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

    /// <exception cref="ArgumentException">The topic is empty or cannot be part of a file name.</exception>
    internal static void CheckTopic(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (TickHistoryFiles.TopicProblem(topic) is { } problem) throw new ArgumentException(problem, nameof(topic));
    }

    internal static string FileName(string topic, int partition) => $"{topic}-{partition}{FileSuffix}";

    // The file format and crash recovery as TickHistoryFiles and the tests know them.

    /// <inheritdoc cref="TickRecordFormat.ReadHeader(FileStream, out uint)"/>
    internal static string? ReadHeader(FileStream stream, out uint version) => TickRecordFormat.ReadHeader(stream, out version);

    /// <inheritdoc cref="TickRecordFormat.SymbolBytes"/>
    internal static byte[] SymbolBytes(string symbol) => TickRecordFormat.SymbolBytes(symbol);

    /// <inheritdoc cref="TickRecordFormat.TryDecodeSymbol"/>
    internal static bool TryDecodeSymbol(ReadOnlySpan<byte> utf8, Span<char> chars, out int length) =>
        TickRecordFormat.TryDecodeSymbol(utf8, chars, out length);

    /// <inheritdoc cref="TickHistoryLoader.CleanUpAfterCrash"/>
    internal static void CleanUpAfterCrash(string path) => TickHistoryLoader.CleanUpAfterCrash(path);

    /// <summary>
    /// Beside a history file whose ticks were removed on purpose (<c>history drop</c>): the newest offset it had seen,
    /// so <see cref="LastOffset"/> still counts the removed ticks as seen.
    /// </summary>
    internal const string SeenSuffix = ".seen";

    internal static void WriteSeen(string path, long offset)
    {
        long earlier = ReadSeen(path);
        if (offset > earlier) File.WriteAllText(path + SeenSuffix, offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    internal static long ReadSeen(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path + SeenSuffix), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long seen) ? seen : -1;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return -1;
        }
    }

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
        _symbols.Register(ring);
        return ring;
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
}
