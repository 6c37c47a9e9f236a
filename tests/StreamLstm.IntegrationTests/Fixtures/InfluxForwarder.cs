using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>
/// The HTTP front the product is pointed at. It can be stopped and started (an outage: connections refused) and told to
/// answer writes with a given status. In translating mode (influxd 1.x, which has no /api/v2/write before 1.8) it turns
/// <c>POST /api/v2/write?org&amp;bucket&amp;precision</c> into <c>POST /write?db=&lt;bucket&gt;&amp;precision</c>, creating the
/// database first, and returns influxd's status and body unchanged; every other request is passed through as it is.
/// </summary>
internal sealed class InfluxForwarder : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host",
        "Content-Length", "Expect", "Date", "Server",
    };

    private static readonly Dictionary<string, string> V1Precision = new(StringComparer.Ordinal)
    {
        ["ns"] = "n", ["us"] = "u", ["ms"] = "ms", ["s"] = "s",
    };

    private readonly Uri _upstream;
    private readonly bool _translateV2Writes;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _databases = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private HttpListener? _listener;
    private Task? _acceptLoop;
    private InjectedFailure? _failure;
    private long _writesForwarded;
    private long _writesFailed;
    private long _writeBytes;

    public InfluxForwarder(Uri upstream, bool translateV2Writes)
    {
        _upstream = upstream;
        _translateV2Writes = translateV2Writes;
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        Port = FreePort.Pick();
    }

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public bool IsRunning => _listener is { IsListening: true };

    public long WritesForwarded => Interlocked.Read(ref _writesForwarded);

    public long WritesFailed => Interlocked.Read(ref _writesFailed);

    /// <summary>Bytes of write request bodies received, as sent (gzip-compressed ones compressed); a gzip body is passed on as it is.</summary>
    public long WriteBytes => Interlocked.Read(ref _writeBytes);

    public async Task StartAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (IsRunning)
            {
                return;
            }

            // The first start may lose its port to another process and pick a new one; a restart must keep the port
            // clients were given, so it is retried on the same one (a port just released may still be held briefly).
            var firstStart = _acceptLoop is null;
            HttpListener? listener = null;
            await Poll.UntilAsync(
                _ =>
                {
                    var candidate = new HttpListener();
                    candidate.Prefixes.Add($"http://127.0.0.1:{Port}/");
                    try
                    {
                        candidate.Start();
                        listener = candidate;
                        return Task.FromResult(true);
                    }
                    catch (HttpListenerException)
                    {
                        candidate.Close();
                        if (firstStart)
                        {
                            Port = FreePort.Pick();
                        }

                        throw;
                    }
                },
                TimeSpan.FromSeconds(10),
                $"the InfluxDB front listening on 127.0.0.1:{Port}").ConfigureAwait(false);

            _listener = listener!;
            _acceptLoop = AcceptAsync(_listener);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async Task StopAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            var listener = _listener;
            _listener = null;
            if (listener is null)
            {
                return;
            }

            // Close, not Stop: it also drops open keep-alive connections, so clients see the outage at once.
            listener.Close();
            if (_acceptLoop is { } loop)
            {
                await loop.ConfigureAwait(false);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Writes are answered with <paramref name="status"/> instead of being forwarded: the next
    /// <paramref name="count"/> of them, or all until <see cref="ClearFailures"/> when count is null; with
    /// <paramref name="abovePoints"/>, only writes of more lines than that (the others are forwarded).</summary>
    public void FailWrites(HttpStatusCode status, string message, int? count, int? abovePoints = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count ?? 0, nameof(count));
        ArgumentOutOfRangeException.ThrowIfNegative(abovePoints ?? 0, nameof(abovePoints));
        Volatile.Write(ref _failure, new InjectedFailure(status, message, count, abovePoints));
    }

    public void ClearFailures() => Volatile.Write(ref _failure, null);

    private async Task AcceptAsync(HttpListener listener)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var path = request.Url!.AbsolutePath;
            var isWrite = request.HttpMethod == "POST" && path is "/api/v2/write" or "/write";
            byte[]? body = null;
            if (isWrite)
            {
                // Read whole (the upstream request needs it anyway): its size is counted as it came, compressed or not.
                body = await ReadBodyAsync(request).ConfigureAwait(false);
                Interlocked.Add(ref _writeBytes, body.Length);
            }

            if (isWrite && Volatile.Read(ref _failure) is { } failure)
            {
                var gzip = string.Equals(request.Headers["Content-Encoding"], "gzip", StringComparison.OrdinalIgnoreCase);
                if (failure.AppliesTo(body, gzip) && failure.TryTake())
                {
                    Interlocked.Increment(ref _writesFailed);
                    await DrainAsync(request).ConfigureAwait(false);
                    await RespondV2ErrorAsync(response, failure.Status, failure.Message).ConfigureAwait(false);
                    return;
                }
            }

            if (_translateV2Writes && path == "/api/v2/write")
            {
                await ForwardV2WriteAsync(request, response, body).ConfigureAwait(false);
            }
            else if (_translateV2Writes && path == "/health")
            {
                await AnswerHealthAsync(response).ConfigureAwait(false);
            }
            else
            {
                using var upstream = await SendUpstreamAsync(request, request.Url.PathAndQuery, body).ConfigureAwait(false);
                if (isWrite && upstream.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _writesForwarded);
                }

                await CopyResponseAsync(upstream, response).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await TryRespondAsync(response, HttpStatusCode.BadGateway, $"InfluxDB behind the test front did not answer: {e.Message}")
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
        {
            // The client went away or the front was stopped mid-request: nothing left to answer.
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException or InvalidOperationException)
            {
            }
        }
    }

    private async Task ForwardV2WriteAsync(HttpListenerRequest request, HttpListenerResponse response, byte[]? body)
    {
        var bucket = request.QueryString["bucket"];
        var precision = request.QueryString["precision"] ?? "ns";
        if (string.IsNullOrEmpty(bucket))
        {
            await DrainAsync(request).ConfigureAwait(false);
            await RespondV2ErrorAsync(response, HttpStatusCode.BadRequest, "bucket not specified").ConfigureAwait(false);
            return;
        }

        if (!V1Precision.TryGetValue(precision, out var v1Precision))
        {
            await DrainAsync(request).ConfigureAwait(false);
            await RespondV2ErrorAsync(response, HttpStatusCode.BadRequest, $"invalid precision '{precision}': use ns, us, ms or s")
                .ConfigureAwait(false);
            return;
        }

        await EnsureDatabaseAsync(bucket).ConfigureAwait(false);
        var target = $"/write?db={Uri.EscapeDataString(bucket)}&precision={v1Precision}";
        using var upstream = await SendUpstreamAsync(request, target, body).ConfigureAwait(false);
        if (upstream.IsSuccessStatusCode)
        {
            Interlocked.Increment(ref _writesForwarded);
        }

        await CopyResponseAsync(upstream, response).ConfigureAwait(false);
    }

    /// <summary>Creates the database for a bucket once; influxd's CREATE DATABASE is idempotent anyway.</summary>
    public Task EnsureDatabaseAsync(string name)
    {
        var creation = _databases.GetOrAdd(name, n => new Lazy<Task>(() => CreateDatabaseAsync(n)));
        return AwaitOrForgetAsync(name, creation.Value);
    }

    private async Task AwaitOrForgetAsync(string name, Task creation)
    {
        try
        {
            await creation.ConfigureAwait(false);
        }
        catch
        {
            // A failed creation (influxd briefly down) is tried again by the next write.
            _databases.TryRemove(name, out _);
            throw;
        }
    }

    private async Task CreateDatabaseAsync(string name)
    {
        var statement = $"CREATE DATABASE \"{name.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"";
        using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("q", statement)]);
        using var result = await _http.PostAsync(new Uri(_upstream, "/query"), content).ConfigureAwait(false);
        var body = await result.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!result.IsSuccessStatusCode || body.Contains("\"error\"", StringComparison.Ordinal))
        {
            throw new HttpRequestException($"influxd refused {statement}: {(int)result.StatusCode} {body}");
        }
    }

    private async Task AnswerHealthAsync(HttpListenerResponse response)
    {
        // influxd 1.6 has no /health; InfluxDB.Client's HealthAsync expects the 2.x shape.
        using var ping = await _http.GetAsync(new Uri(_upstream, "/ping")).ConfigureAwait(false);
        var version = ping.Headers.TryGetValues("X-Influxdb-Version", out var values) ? values.First() : "unknown";
        var pass = ping.IsSuccessStatusCode;
        var body = JsonSerializer.Serialize(new
        {
            name = "influxdb",
            message = pass ? "ready for queries and writes" : $"influxd answered /ping with {(int)ping.StatusCode}",
            status = pass ? "pass" : "fail",
            version,
        });
        await RespondAsync(response, pass ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, body).ConfigureAwait(false);
    }

    /// <summary>Sends the request on; <paramref name="body"/> is its body when already read.</summary>
    private async Task<HttpResponseMessage> SendUpstreamAsync(HttpListenerRequest request, string pathAndQuery, byte[]? body = null)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_upstream, pathAndQuery));
        body ??= request.HasEntityBody ? await ReadBodyAsync(request).ConfigureAwait(false) : null;
        if (body is not null)
        {
            message.Content = new ByteArrayContent(body);
        }

        foreach (var name in request.Headers.AllKeys)
        {
            // influxd 1.x is run without authentication; the 2.x client's "Token ..." is accepted and dropped here.
            if (name is null || HopByHopHeaders.Contains(name) || (_translateV2Writes && name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var values = request.Headers.GetValues(name) ?? [];
            if (!message.Headers.TryAddWithoutValidation(name, values))
            {
                message.Content ??= new ByteArrayContent([]);
                message.Content.Headers.TryAddWithoutValidation(name, values);
            }
        }

        return await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
    }

    private static async Task CopyResponseAsync(HttpResponseMessage upstream, HttpListenerResponse response)
    {
        response.StatusCode = (int)upstream.StatusCode;
        foreach (var header in upstream.Headers.Concat(upstream.Content.Headers))
        {
            if (HopByHopHeaders.Contains(header.Key) || header.Key.Equals("WWW-Authenticate", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var value in header.Value)
            {
                response.AppendHeader(header.Key, value);
            }
        }

        var body = await upstream.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        response.ContentLength64 = body.Length;
        if (body.Length > 0)
        {
            await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        }
    }

    private static Task RespondV2ErrorAsync(HttpListenerResponse response, HttpStatusCode status, string message)
    {
        var code = status switch
        {
            HttpStatusCode.BadRequest => "invalid",
            HttpStatusCode.Unauthorized => "unauthorized",
            HttpStatusCode.Forbidden => "forbidden",
            HttpStatusCode.NotFound => "not found",
            HttpStatusCode.RequestEntityTooLarge => "request too large",
            HttpStatusCode.UnprocessableEntity => "unprocessable entity",
            HttpStatusCode.TooManyRequests => "too many requests",
            HttpStatusCode.ServiceUnavailable => "unavailable",
            _ => "internal error",
        };
        return RespondAsync(response, status, JsonSerializer.Serialize(new { code, message }));
    }

    private static async Task TryRespondAsync(HttpListenerResponse response, HttpStatusCode status, string message)
    {
        try
        {
            await RespondV2ErrorAsync(response, status, message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // Headers were already sent, or the client is gone.
        }
    }

    private static async Task RespondAsync(HttpListenerResponse response, HttpStatusCode status, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        response.StatusCode = (int)status;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpListenerRequest request)
    {
        using var buffer = new MemoryStream();
        await request.InputStream.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static async Task DrainAsync(HttpListenerRequest request)
    {
        if (request.HasEntityBody)
        {
            await request.InputStream.CopyToAsync(Stream.Null).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _http.Dispose();
        _lifecycle.Dispose();
    }
}
