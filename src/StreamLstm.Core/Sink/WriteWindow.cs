using System.Buffers;
using System.Text;
using StreamLstm.Ingest;

namespace StreamLstm.Sink;

/// <summary>
/// The points of queued batches gathered for writing. <see cref="Cut"/> sorts them by series key (measurement and tag
/// set), each series' points in time order, and cuts them into requests of at most a given number of points: InfluxDB
/// takes points grouped by series faster than points in event-time order, more so the more points of each series a
/// request holds (influxd 1.6.7 here: about 1.4 times as fast). The same points always give the same requests. Used by
/// one thread at a time (the sink's write loop), and reused from one window to the next.
/// </summary>
internal sealed class WriteWindow
{
    private readonly List<SourcePosition> _positions = [];
    private char[] _text = new char[1 << 16];
    private int _length;
    // Per line: where it starts in _text, its length (no newline), the length of its series key, its timestamp.
    private int[] _start = new int[1024];
    private int[] _size = new int[1024];
    private int[] _key = new int[1024];
    private long[] _time = new long[1024];
    private int _lines;
    // Per line, its series; the series by key (a line of each stands for it) and the first line of each, in arrival order.
    private int[] _seriesOf = new int[1024];
    private readonly Dictionary<int, int> _series;
    private readonly List<int> _firsts = [];

    public WriteWindow() => _series = new Dictionary<int, int>(new SeriesKeyComparer(this));

    /// <summary>Points gathered so far.</summary>
    public int Points => _lines;

    /// <summary>Whether nothing is gathered: no point and no position.</summary>
    public bool IsEmpty => _lines == 0 && _positions.Count == 0;

    /// <summary>Adds a batch's points and source positions.</summary>
    public void Add(PointBatch batch)
    {
        _positions.AddRange(batch.Positions);
        int n = batch.Lines.Length;
        if (n == 0) return;
        if (_length + n > _text.Length) Array.Resize(ref _text, Math.Max(_text.Length * 2, _length + n));
        batch.Lines.CopyTo(0, _text.AsSpan(_length, n), n);
        int offset = _length;
        int end = _length + n;
        _length = end;
        while (offset < end)
        {
            int newline = _text.AsSpan(offset, end - offset).IndexOf('\n');
            int size = newline < 0 ? end - offset : newline;
            if (size > 0) AddLine(offset, size);
            offset += size + 1;
        }
    }

    private void AddLine(int start, int size)
    {
        if (_lines == _start.Length)
        {
            int capacity = _lines * 2;
            Array.Resize(ref _start, capacity);
            Array.Resize(ref _size, capacity);
            Array.Resize(ref _key, capacity);
            Array.Resize(ref _time, capacity);
        }
        var line = _text.AsSpan(start, size);
        _start[_lines] = start;
        _size[_lines] = size;
        _key[_lines] = LineProtocol.SeriesKeyLength(line);
        // A line without a readable timestamp (none this product writes) keeps its place among its series' points.
        _time[_lines] = LineProtocol.TryTimestamp(line, out var time) ? time : long.MinValue;
        _lines++;
    }

    /// <summary>
    /// The gathered points sorted by series and time, in requests of at most <paramref name="maxPoints"/> points each
    /// (as even as possible), sharing one acknowledgement of every gathered position through
    /// <paramref name="acknowledge"/>; then the window is empty again. No points (positions only): no request, and the
    /// positions are acknowledged at once.
    /// </summary>
    public List<WriteRequest> Cut(int maxPoints, Action<IReadOnlyList<SourcePosition>> acknowledge)
    {
        var positions = _positions.ToArray();
        var requests = new List<WriteRequest>();
        if (_lines == 0)
        {
            Clear();
            acknowledge(positions);
            return requests;
        }
        var order = Order();
        int count = (_lines + maxPoints - 1) / maxPoints;
        int per = (_lines + count - 1) / count;
        var pending = new PendingAcknowledgement(positions, count, acknowledge);
        for (int first = 0; first < _lines; first += per) requests.Add(Encode(order.AsSpan(first, Math.Min(per, _lines - first)), pending));
        Clear();
        return requests;
    }

    /// <summary>
    /// The lines' indexes sorted by series key (ordinal), then time, then arrival: each line's series found by hashing
    /// its key, the distinct keys sorted, and the lines placed by a counting sort, so a window costs about one hash per
    /// line. Each series' lines come in time order already (a symbol's ticks are in order); a series whose lines do not
    /// is sorted by time on its own.
    /// </summary>
    private int[] Order()
    {
        _series.Clear();
        _firsts.Clear();
        if (_seriesOf.Length < _lines) Array.Resize(ref _seriesOf, _start.Length);
        for (int i = 0; i < _lines; i++)
        {
            if (!_series.TryGetValue(i, out int id))
            {
                id = _firsts.Count;
                _series.Add(i, id);
                _firsts.Add(i);
            }
            _seriesOf[i] = id;
        }
        // Rank of each series in key order.
        var byKey = Enumerable.Range(0, _firsts.Count).ToArray();
        Array.Sort(byKey, (a, b) => Key(_firsts[a]).SequenceCompareTo(Key(_firsts[b])));
        var offsets = new int[_firsts.Count + 1];
        var rank = new int[_firsts.Count];
        for (int r = 0; r < byKey.Length; r++) rank[byKey[r]] = r;
        for (int i = 0; i < _lines; i++) offsets[rank[_seriesOf[i]] + 1]++;
        for (int r = 0; r < byKey.Length; r++) offsets[r + 1] += offsets[r];
        var order = new int[_lines];
        var next = offsets[..^1];
        for (int i = 0; i < _lines; i++) order[next[rank[_seriesOf[i]]]++] = i;
        for (int r = 0; r < byKey.Length; r++)
        {
            var lines = order.AsSpan(offsets[r], offsets[r + 1] - offsets[r]);
            for (int j = 1; j < lines.Length; j++)
            {
                if (_time[lines[j]] >= _time[lines[j - 1]]) continue;
                lines.Sort((a, b) => _time[a] != _time[b] ? _time[a].CompareTo(_time[b]) : a.CompareTo(b));
                break;
            }
        }
        return order;
    }

    private ReadOnlySpan<char> Key(int line) => _text.AsSpan(_start[line], _key[line]);

    private WriteRequest Encode(ReadOnlySpan<int> lines, PendingAcknowledgement pending)
    {
        int bytes = 0;
        foreach (var line in lines) bytes += Encoding.UTF8.GetByteCount(_text.AsSpan(_start[line], _size[line])) + 1;
        var body = ArrayPool<byte>.Shared.Rent(bytes);
        var ends = new int[lines.Length];
        int at = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            at += Encoding.UTF8.GetBytes(_text.AsSpan(_start[lines[i]], _size[lines[i]]), body.AsSpan(at));
            body[at++] = (byte)'\n';
            ends[i] = at;
        }
        return new WriteRequest(body, ends, lines.Length, pending);
    }

    private void Clear()
    {
        _positions.Clear();
        _length = 0;
        _lines = 0;
    }

    /// <summary>Lines of the window as dictionary keys that stand for their series key.</summary>
    private sealed class SeriesKeyComparer(WriteWindow window) : IEqualityComparer<int>
    {
        public bool Equals(int a, int b) => window.Key(a).SequenceEqual(window.Key(b));

        public int GetHashCode(int line) => string.GetHashCode(window.Key(line));
    }
}
