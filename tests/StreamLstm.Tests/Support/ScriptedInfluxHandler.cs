using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;

namespace StreamLstm.Tests.Support;

/// <summary>
/// InfluxDB's write endpoint in memory, for the sink's tests: the test's <c>answer</c> decides each request's status;
/// the lines of the requests answered 2xx are kept, and every other answer has an InfluxDB 2-style error body.
/// </summary>
internal sealed class ScriptedInfluxHandler(Func<ScriptedInfluxHandler.Request, Task<HttpStatusCode>> answer) : HttpMessageHandler
{
    private readonly Lock _gate = new();
    private readonly List<string> _written = [];
    private int _requests;

    /// <summary>One write request: its number (from 1), its lines, its Authorization header and whether its body came gzip-compressed.</summary>
    public sealed record Request(int Number, string[] Lines, string? Authorization, bool Gzip = false);

    public ScriptedInfluxHandler(Func<Request, HttpStatusCode> answer)
        : this(request => Task.FromResult(answer(request)))
    {
    }

    /// <summary>Lines of the accepted requests, in the order they were accepted.</summary>
    public IReadOnlyList<string> Written
    {
        get
        {
            lock (_gate) return [.. _written];
        }
    }

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>What InfluxDB says with each status (the messages of InfluxDB 2.x where it has one).</summary>
    public static string MessageFor(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => "partial write: field type conflict",
        HttpStatusCode.Unauthorized => "unauthorized access",
        HttpStatusCode.Forbidden => "insufficient permissions for write",
        HttpStatusCode.NotFound => "bucket \"ticks\" not found",
        HttpStatusCode.RequestEntityTooLarge => "request too large",
        HttpStatusCode.UnprocessableEntity => "points beyond retention policy dropped",
        _ => $"injected {(int)status}",
    };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var gzip = request.Content?.Headers.ContentEncoding.Contains("gzip") == true;
        var body = request.Content is null ? "" : gzip ? await GunzipAsync(request.Content, cancellationToken) : await request.Content.ReadAsStringAsync(cancellationToken);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var number = Interlocked.Increment(ref _requests);
        var status = await answer(new Request(number, lines, request.Headers.Authorization?.ToString(), gzip)).WaitAsync(cancellationToken);
        if ((int)status is >= 200 and < 300)
        {
            lock (_gate) _written.AddRange(lines);
            return new HttpResponseMessage(HttpStatusCode.NoContent);
        }
        var error = JsonSerializer.Serialize(new { code = "injected", message = MessageFor(status) });
        return new HttpResponseMessage(status) { Content = new StringContent(error, Encoding.UTF8, "application/json") };
    }

    private static async Task<string> GunzipAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var gzip = new GZipStream(await content.ReadAsStreamAsync(cancellationToken), CompressionMode.Decompress);
        using var text = new StreamReader(gzip, Encoding.UTF8);
        return await text.ReadToEndAsync(cancellationToken);
    }
}
