using System.Buffers;
using System.Text;

namespace StreamLstm.Sink;

/// <summary>
/// One write request's body: lines of line protocol in UTF-8, each ended by a newline, with where each line ends so
/// that a refused request can be halved without encoding it again. The body is pooled: dispose once written.
/// </summary>
internal sealed class WriteRequest : IDisposable
{
    private byte[] _body;
    private readonly int[] _ends;

    public WriteRequest(byte[] body, int[] ends, int points, PendingAcknowledgement acknowledgement)
    {
        _body = body;
        _ends = ends;
        Points = points;
        Acknowledgement = acknowledgement;
    }

    /// <summary>Number of points (lines).</summary>
    public int Points { get; }

    /// <summary>Whose positions this request's success counts toward.</summary>
    public PendingAcknowledgement Acknowledgement { get; }

    /// <summary>The whole body.</summary>
    public ReadOnlyMemory<byte> Body => Lines(0, Points);

    /// <summary>Lines <paramref name="first"/> up to (not including) <paramref name="end"/>, as a body.</summary>
    public ReadOnlyMemory<byte> Lines(int first, int end)
    {
        int from = first == 0 ? 0 : _ends[first - 1];
        return _body.AsMemory(from, _ends[end - 1] - from);
    }

    /// <summary>Line <paramref name="index"/> as text, without its newline (for the rejected-points file).</summary>
    public string Line(int index)
    {
        var bytes = Lines(index, index + 1).Span;
        return Encoding.UTF8.GetString(bytes[..^1]);
    }

    public void Dispose()
    {
        var body = Interlocked.Exchange(ref _body, []);
        if (body.Length > 0) ArrayPool<byte>.Shared.Return(body);
    }
}
