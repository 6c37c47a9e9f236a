using System.IO.Compression;
using System.Net;
using System.Text;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>
/// What the InfluxDB front answers to writes instead of forwarding them, for a number of writes or until cleared;
/// optionally only to writes of more than a number of lines (points).
/// </summary>
internal sealed class InjectedFailure(HttpStatusCode status, string message, int? remaining, int? abovePoints = null)
{
    private int _remaining = remaining ?? -1;

    public HttpStatusCode Status { get; } = status;

    public string Message { get; } = message;

    /// <summary>Only writes of more lines than this fail; null: every write.</summary>
    public int? AbovePoints { get; } = abovePoints;

    /// <summary>Whether a write with <paramref name="body"/> (<paramref name="gzip"/>: compressed) is one to fail.</summary>
    public bool AppliesTo(byte[]? body, bool gzip = false) =>
        AbovePoints is not { } limit
        || (body is not null && Encoding.UTF8.GetString(gzip ? Decompress(body) : body).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > limit);

    private static byte[] Decompress(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress))
        {
            gzip.CopyTo(output);
        }

        return output.ToArray();
    }

    /// <summary>Uses up one write; false once a counted failure has answered all of its writes.</summary>
    public bool TryTake()
    {
        while (true)
        {
            var current = Volatile.Read(ref _remaining);
            if (current < 0)
            {
                return true;
            }

            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _remaining, current - 1, current) == current)
            {
                return true;
            }
        }
    }
}
