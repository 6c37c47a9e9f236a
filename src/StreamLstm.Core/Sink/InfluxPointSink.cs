using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Threading.Channels;
using InfluxDB.Client.Core.Exceptions;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using StreamLstm.Ingest;
using StreamLstm.Telemetry;

namespace StreamLstm.Sink;

/// <summary>
/// Writes point batches to InfluxDB's 2.x write API through a bounded queue (a full queue makes the pipeline wait). What
/// is queued, up to <see cref="InfluxOptions.SortWindowPoints"/>, is sorted by series and time and cut into requests of
/// up to <see cref="InfluxOptions.BatchPoints"/> points, UTF-8 encoded once (gzip-compressed with
/// <see cref="InfluxOptions.Gzip"/>), up to <see cref="InfluxOptions.MaxInFlight"/> of them under way at once. Transient
/// failures (network, 5xx, 429) are retried with exponential backoff and jitter behind a circuit breaker, and faults of
/// the configuration (401, 403, 404) with the same backoff, for as long as it takes: points are never dropped for either.
/// A request too large (413) is halved until its parts are accepted. Only points InfluxDB refuses for themselves (400,
/// 422) are isolated by halving the request, counted, logged with the reason and appended to the rejected-points file.
/// Only once every request of a window is written are its batches' source positions acknowledged (another window's
/// may be acknowledged before: the offsets stored only ever follow the done prefix of each partition).
/// <see cref="Status"/> says how writing goes.
/// </summary>
public sealed partial class InfluxPointSink : IPointSink, IAsyncDisposable
{
    /// <summary>
    /// How bodies are compressed with <see cref="InfluxOptions.Gzip"/>: the fastest level, about a third of the bytes of
    /// this product's points for about a third of the CPU time of the default level (which gives under a quarter).
    /// </summary>
    public const CompressionLevel GzipLevel = CompressionLevel.Fastest;

    /// <summary>A fault that persists (configuration, too large) is logged again at most this often, with a count.</summary>
    internal static readonly TimeSpan RepeatedFaultLogInterval = TimeSpan.FromMinutes(1);

    private readonly Channel<PointBatch> _queue;
    private readonly InfluxOptions _options;
    private readonly HttpClient _http;
    private readonly Uri _writeUri;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly SemaphoreSlim _slots;
    private readonly ResiliencePipeline _resilience;
    private readonly Action<IReadOnlyList<SourcePosition>> _acknowledge;
    private readonly PipelineCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Task _writer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _statusGate = new();
    private readonly FaultLogThrottle _configurationLog = new(RepeatedFaultLogInterval);
    private readonly FaultLogThrottle _tooLargeLog = new(RepeatedFaultLogInterval);
    private InfluxWriteStatus _status = new();
    private int _disposed;

    public InfluxPointSink(InfluxOptions options, Action<IReadOnlyList<SourcePosition>> acknowledge, PipelineCounters counters, ILogger logger, TimeProvider? time = null)
        : this(options, acknowledge, counters, logger, time, handler: null)
    {
    }

    /// <summary>With a <paramref name="handler"/>, requests go through it instead of the network (for tests).</summary>
    internal InfluxPointSink(InfluxOptions options, Action<IReadOnlyList<SourcePosition>> acknowledge, PipelineCounters counters, ILogger logger,
        TimeProvider? time, HttpMessageHandler? handler)
    {
        _options = options;
        _acknowledge = acknowledge;
        _counters = counters;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _queue = Channel.CreateBounded<PointBatch>(new BoundedChannelOptions(options.QueueBatches) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        // The write API by hand rather than through InfluxDB.Client, which takes a request only as a string and copies
        // it three times more before it is sent; its exceptions are kept (InfluxWriteFault reads them).
        var url = options.Url ?? throw new ArgumentException("Influx:Url is not set", nameof(options));
        _writeUri = new Uri($"{url.TrimEnd('/')}/api/v2/write?org={Uri.EscapeDataString(options.Org)}&bucket={Uri.EscapeDataString(options.Bucket)}&precision=ns");
        _authorization = string.IsNullOrEmpty(options.Token) ? null : new AuthenticationHeaderValue("Token", options.Token);
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None })
            : new HttpClient(handler, disposeHandler: false);
        // Each attempt has its own limit (Influx:Timeout); the client's own would count the retries too.
        _http.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
        _slots = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        _resilience = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => Kind(ex) is InfluxWriteFaultKind.Transient or InfluxWriteFaultKind.Configuration),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = options.MaxRetryDelay,
                OnRetry = args =>
                {
                    OnRetry(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // A wrong token is no outage: the retry's backoff paces those writes, the circuit stays for the server.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => Kind(ex) is InfluxWriteFaultKind.Transient),
                FailureRatio = 0.5,
                MinimumThroughput = 3,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = options.BreakDuration,
                OnOpened = args =>
                {
                    UpdateStatus(s => s with { CircuitOpen = true });
                    LogCircuitOpened(_logger, args.BreakDuration);
                    return default;
                },
                OnClosed = _ =>
                {
                    UpdateStatus(s => s with { CircuitOpen = false });
                    LogCircuitClosed(_logger);
                    return default;
                },
            })
            .Build();
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>How writing goes, for a readiness check; a snapshot, safe to read from any thread.</summary>
    public InfluxWriteStatus Status => Volatile.Read(ref _status);

    /// <inheritdoc />
    public ValueTask WriteAsync(PointBatch batch, CancellationToken cancellationToken) => _queue.Writer.WriteAsync(batch, cancellationToken);

    /// <inheritdoc />
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        using (cancellationToken.Register(() => _stop.Cancel()))
        {
            try
            {
                await _writer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // CompleteAsync ends by disposing; a caller's own dispose after it must not cancel a disposed source.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _queue.Writer.TryComplete();
        _stop.Cancel();
        try { await _writer.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _http.Dispose();
        _slots.Dispose();
        _stop.Dispose();
    }

    /// <summary>
    /// Gathers a window of queued points, sorts and cuts it into requests, and hands each to a writer as soon as one of
    /// <see cref="InfluxOptions.MaxInFlight"/> slots is free; ends once the queue is completed and every request is done.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var window = new WriteWindow();
        var writing = new List<Task>();
        Exception? failure = null;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                await GatherAsync(reader, window).ConfigureAwait(false);
                if (window.IsEmpty) continue;
                var requests = window.Cut(_options.BatchPoints, _acknowledge);
                for (int i = 0; i < requests.Count; i++)
                {
                    try
                    {
                        await _slots.WaitAsync(_stop.Token).ConfigureAwait(false);
                    }
                    catch
                    {
                        foreach (var unsent in requests.Skip(i)) unsent.Dispose();
                        throw;
                    }
                    var request = requests[i];
                    writing.RemoveAll(t => t.IsCompletedSuccessfully);
                    writing.Add(Task.Run(() => WriteRequestAsync(request)));
                }
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        // Requests under way end (written, or cancelled by a stop) before the sink is released.
        try
        {
            await Task.WhenAll(writing).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure ??= ex;
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// Adds queued batches to <paramref name="window"/> until it holds <see cref="InfluxOptions.SortWindowPoints"/>
    /// points, or holds a full request and nothing more is queued, or <see cref="InfluxOptions.FlushInterval"/> passed.
    /// </summary>
    private async Task GatherAsync(ChannelReader<PointBatch> reader, WriteWindow window)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.FlushInterval.TotalSeconds * Stopwatch.Frequency);
        while (window.Points < _options.SortWindowPoints)
        {
            if (reader.TryRead(out var batch))
            {
                window.Add(batch);
                continue;
            }
            var left = deadline - Stopwatch.GetTimestamp();
            if (window.Points >= _options.BatchPoints || left <= 0 || reader.Completion.IsCompleted) break;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            wait.CancelAfter(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
            try
            {
                if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false)) break;
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>Writes one request (in parts if refused for its size or some of its points), then frees its slot.</summary>
    private async Task WriteRequestAsync(WriteRequest request)
    {
        try
        {
            try
            {
                await WriteAsync(request, 0, request.Points).ConfigureAwait(false);
            }
            catch (Exception ex) when (_stop.IsCancellationRequested && ex is not OperationCanceledException)
            {
                // Stopped mid-write (the request may fail for it): these positions stay unacknowledged.
                throw new OperationCanceledException("The InfluxDB sink was stopped before the write finished.", ex, _stop.Token);
            }
            request.Acknowledgement.RequestWritten();
        }
        finally
        {
            request.Dispose();
            _slots.Release();
        }
    }

    /// <summary>
    /// Writes lines <paramref name="first"/> up to <paramref name="end"/> of <paramref name="request"/>; refused for the
    /// size (413) or for some of the points (400, 422), halves them and writes each half the same way, until every part
    /// is written or a single point is refused: only that point is rejected.
    /// </summary>
    private async Task WriteAsync(WriteRequest request, int first, int end)
    {
        try
        {
            await SendAsync(request.Lines(first, end)).ConfigureAwait(false);
            _counters.AddPointsWritten(end - first);
        }
        catch (Exception ex) when (Kind(ex) is InfluxWriteFaultKind.TooLarge or InfluxWriteFaultKind.PointsRefused)
        {
            if (end - first == 1)
            {
                Reject(request.Line(first), Redact(InfluxWriteFault.Describe(ex)));
                return;
            }
            if (Kind(ex) is InfluxWriteFaultKind.TooLarge && _tooLargeLog.Record("413", _time.GetUtcNow(), out var refusals))
                LogTooLarge(_logger, end - first, Redact(InfluxWriteFault.Describe(ex)), refusals, _options.BatchPoints);
            int half = first + (end - first) / 2;
            await WriteAsync(request, first, half).ConfigureAwait(false);
            await WriteAsync(request, half, end).ConfigureAwait(false);
        }
    }

    /// <summary>One request, retried while InfluxDB is unavailable or refuses the configuration; throws what is not retried.</summary>
    private async Task SendAsync(ReadOnlyMemory<byte> lines)
    {
        var body = _options.Gzip ? Compress(lines) : lines;
        try
        {
            await _resilience.ExecuteAsync(async ct =>
            {
                long started = Stopwatch.GetTimestamp();
                try
                {
                    await PostAsync(body, ct).ConfigureAwait(false);
                }
                finally
                {
                    _counters.RecordWriteDuration(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
            }, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (Kind(ex) is InfluxWriteFaultKind.TooLarge or InfluxWriteFaultKind.PointsRefused)
        {
            RecordFailure(Redact(InfluxWriteFault.Describe(ex)), configurationFault: null);
            throw;
        }
        var now = _time.GetUtcNow().UtcDateTime;
        UpdateStatus(s => s with { ConfigurationFault = null, LastSuccessUtc = now, FailuresSinceSuccess = 0 });
        var refused = _configurationLog.Reset();
        if (refused > 0) LogConfigurationFaultCleared(_logger, refused);
    }

    /// <summary>
    /// POST /api/v2/write; an answer other than 2xx throws InfluxDB.Client's exception for it (with InfluxDB's message),
    /// no answer within <see cref="InfluxOptions.Timeout"/> a <see cref="TimeoutException"/>.
    /// </summary>
    private async Task PostAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _writeUri) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        if (_options.Gzip) request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_options.Timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, limit.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return;
            var text = await response.Content.ReadAsStringAsync(limit.Token).ConfigureAwait(false);
            throw HttpException.Create(response, text);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"InfluxDB did not answer within {_options.Timeout.TotalSeconds:0.###} s", ex);
        }
    }

    private static ReadOnlyMemory<byte> Compress(ReadOnlyMemory<byte> lines)
    {
        var compressed = new MemoryStream(lines.Length / 4 + 64);
        using (var gzip = new GZipStream(compressed, GzipLevel, leaveOpen: true)) gzip.Write(lines.Span);
        return compressed.GetBuffer().AsMemory(0, (int)compressed.Length);
    }

    private void OnRetry(int attempt, TimeSpan delay, Exception? failure)
    {
        _counters.AddWriteFailure();
        if (failure is not null && Kind(failure) is InfluxWriteFaultKind.Configuration)
        {
            var fault = Redact(InfluxWriteFault.DescribeConfigurationFault(failure));
            RecordFailure(fault, fault);
            if (_configurationLog.Record(fault, _time.GetUtcNow(), out var attempts))
                LogConfigurationFault(_logger, fault, attempts, delay);
            return;
        }
        var reason = Redact(InfluxWriteFault.Describe(failure));
        // An open circuit is no answer from InfluxDB: the last real one stays the status's last failure.
        if (failure is not BrokenCircuitException) RecordFailure(reason, configurationFault: null);
        LogRetry(_logger, attempt, delay, reason);
    }

    /// <summary>A failed attempt; a <paramref name="configurationFault"/> replaces the status's one, null keeps it until a write succeeds.</summary>
    private void RecordFailure(string reason, string? configurationFault)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        UpdateStatus(s => s with
        {
            LastFailure = reason,
            LastFailureUtc = now,
            ConfigurationFault = configurationFault ?? s.ConfigurationFault,
            FailuresSinceSuccess = s.FailuresSinceSuccess + 1,
        });
    }

    private void UpdateStatus(Func<InfluxWriteStatus, InfluxWriteStatus> change)
    {
        lock (_statusGate)
        {
            var status = change(_status);
            Volatile.Write(ref _status, status);
            // Mirrored for the metrics and the readiness check, which see the counters, not the sink.
            _counters.CircuitOpen = status.CircuitOpen;
            _counters.SinkFault = status.ConfigurationFault;
        }
    }

    /// <summary>Once the sink is stopping, no failure is worth a retry or a split: the points stay unacknowledged.</summary>
    private InfluxWriteFaultKind? Kind(Exception ex) => _stop.IsCancellationRequested ? null : InfluxWriteFault.Classify(ex);

    /// <summary>InfluxDB's messages do not carry the token; this makes sure a proxy's do not either.</summary>
    private string Redact(string text) =>
        string.IsNullOrEmpty(_options.Token) ? text : text.Replace(_options.Token, "(token)", StringComparison.Ordinal);

    private void Reject(string line, string reason)
    {
        _counters.AddPointsRejected(1);
        LogRejected(_logger, reason, _options.RejectedPointsFile);
        var directory = Path.GetDirectoryName(Path.GetFullPath(_options.RejectedPointsFile));
        if (directory is not null) Directory.CreateDirectory(directory);
        System.IO.File.AppendAllText(_options.RejectedPointsFile, $"# {_time.GetUtcNow().UtcDateTime:O} {reason.ReplaceLineEndings(" ")}\n{line}\n");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "InfluxDB write failed (attempt {Attempt}), retrying in {Delay}: {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "InfluxDB refuses writes for the configuration, not for the points: {Fault} (failed attempts since the last report: {Attempts}). " +
        "Check Influx:Url, Influx:Token, Influx:Org and Influx:Bucket; the stream waits and the write is retried (next in {Delay}), nothing is rejected")]
    private static partial void LogConfigurationFault(ILogger logger, string fault, long attempts, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "InfluxDB accepts writes again after {Attempts} attempts refused for the configuration")]
    private static partial void LogConfigurationFaultCleared(ILogger logger, long attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "InfluxDB refused a request of {Points} points as too large ({Reason}): writing it in halves " +
        "({Refusals} such refusals since the last report; Influx:BatchPoints is {BatchPoints})")]
    private static partial void LogTooLarge(ILogger logger, int points, string reason, long refusals, int batchPoints);

    [LoggerMessage(Level = LogLevel.Warning, Message = "InfluxDB circuit opened for {BreakDuration}: writes wait, consumption pauses when the queue fills")]
    private static partial void LogCircuitOpened(ILogger logger, TimeSpan breakDuration);

    [LoggerMessage(Level = LogLevel.Information, Message = "InfluxDB circuit closed: writes flow again")]
    private static partial void LogCircuitClosed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "InfluxDB rejected a point for good ({Reason}); appended to {File}")]
    private static partial void LogRejected(ILogger logger, string reason, string file);
}
