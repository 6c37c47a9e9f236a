namespace StreamLstm.Learning;

/// <summary>
/// One open partition of a <see cref="TickHistory"/>: its file, opened for appending, the records buffered for it,
/// the rings of its symbols, and the counts that decide when its file is compacted.
/// </summary>
internal sealed class HistoryPartition(int id, string path, FileStream file)
{
    /// <summary>Size of the buffer that appended records wait in until they are written to the file.</summary>
    internal const int WriteBufferSize = 64 * 1024;

    public readonly int Id = id;
    public readonly string Path = path;
    public readonly Dictionary<string, SymbolRing> BySymbol = new(StringComparer.Ordinal);
    public readonly List<SymbolRing> Rings = [];
    public readonly byte[] Buffer = new byte[WriteBufferSize];
    public FileStream File = file;
    public int Buffered;
    public long Length;
    public long Records;
    public long Live;
    public long LoadedNewest = TickHistory.NoTime;
    // The newest Kafka offset recorded (loaded or appended); -1 when none.
    public long LastOffset = -1;
    public long RetryCompactionAt;
    public Task OldDeleted = Task.CompletedTask;
    public TickHistoryCompaction? Compaction;

    public SymbolRing AddRing(string symbol, byte[] utf8, int capacity)
    {
        var ring = new SymbolRing(this, symbol, utf8, capacity);
        BySymbol.Add(symbol, ring);
        Rings.Add(ring);
        return ring;
    }

    /// <summary>Opens a partition's file to append to it.</summary>
    public static FileStream OpenForAppend(string path)
    {
        // Shared for reading only (an advisory shared lock on Unix): compaction's copy and `history list` may read it,
        // and `history drop`, which opens the file exclusively, fails while the worker has it open.
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        stream.Seek(0, SeekOrigin.End);
        return stream;
    }
}
