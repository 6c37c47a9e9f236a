namespace StreamLstm.Learning;

/// <summary>
/// Writes a history file's header, then records through a 1 MB buffer (compaction and rewrite). A ring's ticks are
/// copied first (under the lock where needed), then encoded.
/// </summary>
internal sealed class TickRecordWriter
{
    private readonly FileStream _stream;
    private readonly byte[] _buffer = new byte[1 << 20];
    private int _used;
    private long[] _offsets = new long[64], _times = new long[64];
    private double[] _prices = new double[64];
    private TickExtras[] _extras = new TickExtras[64];

    public TickRecordWriter(FileStream stream)
    {
        _stream = stream;
        TickRecordFormat.WriteHeader(_buffer);
        _used = TickRecordFormat.HeaderSize;
    }

    /// <summary>Copies the oldest <paramref name="n"/> ticks of <paramref name="ring"/> for the next <see cref="Write"/>.</summary>
    public void Copy(SymbolRing ring, int n)
    {
        if (_times.Length < n)
        {
            int length = Math.Max(n, _times.Length * 2);
            (_offsets, _times, _prices, _extras) = (new long[length], new long[length], new double[length], new TickExtras[length]);
        }
        ring.CopyOldest(n, _offsets, _times, _prices, _extras);
    }

    /// <summary>Encodes the <paramref name="n"/> ticks copied last as records of the symbol <paramref name="utf8"/>.</summary>
    public void Write(byte[] utf8, int n)
    {
        for (int j = 0; j < n; j++)
        {
            if (_buffer.Length - _used < TickRecordFormat.MaxRecordSize) Flush();
            _used += TickRecordFormat.EncodeRecord(_buffer.AsSpan(_used), utf8, _offsets[j], _times[j], _prices[j], _extras[j]);
        }
    }

    /// <summary>Writes what is buffered to the stream.</summary>
    public void Flush()
    {
        _stream.Write(_buffer, 0, _used);
        _used = 0;
    }
}
