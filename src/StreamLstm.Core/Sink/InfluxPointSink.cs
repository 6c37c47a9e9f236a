using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using StreamLstm.Ingest;
using StreamLstm.Telemetry;

namespace StreamLstm.Sink;

/// <summary>
/// Writes point batches to InfluxDB through a bounded queue (a full queue makes the pipeline wait), merging them into
/// requests of up to <see cref="InfluxOptions.BatchPoints"/> points. Transient failures (network, 5xx, 429) are retried
/// with exponential backoff and jitter behind a circuit breaker, and faults of the configuration (401, 403, 404) with
/// the same backoff, for as long as it takes: points are never dropped for either. A request too large (413) is
/// halved until its parts are accepted. Only points InfluxDB refuses for themselves (400, 422) are isolated by halving
/// the request, counted, logged with the reason and appended to the rejected-points file. Only then are the batches'
/// source positions acknowledged. <see cref="Status"/> says how writing goes.
/// </summary>
public sealed partial class InfluxPointSink : IPointSink, IAsyncDisposable
{
    /// <summary>A fault that persists (configuration, too large) is logged again at most this often, with a count.</summary>
    internal static readonly TimeSpan RepeatedFaultLogInterval = TimeSpan.FromMinutes(1);

    private readonly Channel<PointBatch> _queue;
    private readonly InfluxOptions _options;
    private readonly HttpClient? _http;
    private readonly InfluxDBClient _client;
    private readonly WriteApiAsync _write;
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
        _http = handler is null ? null : new HttpClient(handler, disposeHandler: false);
        _client = new InfluxDBClient(new InfluxDBClientOptions(options.Url ?? throw new ArgumentException("Influx:Url is not set", nameof(options)))
        {
            Token = options.Token,
            Org = options.Org,
            Bucket = options.Bucket,
            Timeout = options.Timeout,
            HttpClient = _http,
        });
        if (options.Gzip) _client.EnableGzip();
        _write = _client.GetWriteApiAsync();
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
        _client.Dispose();
        _http?.Dispose();
        _stop.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var body = new StringBuilder();
        var positions = new List<SourcePosition>();
        while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
        {
            int points = 0;
            var deadline = Stopwatch.GetTimestamp() + (long)(_options.FlushInterval.TotalSeconds * Stopwatch.Frequency);
            while (points < _options.BatchPoints)
            {
                if (reader.TryRead(out var batch))
                {
                    body.Append(batch.Lines);
                    points += batch.Points;
                    positions.AddRange(batch.Positions);
                    continue;
                }
                var left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0 || reader.Completion.IsCompleted) break;
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
            try
            {
                if (points > 0) await WriteAsync(body.ToString(), points).ConfigureAwait(false);
            }
            catch (Exception ex) when (_stop.IsCancellationRequested && ex is not OperationCanceledException)
            {
                // Stopped mid-write (the client may report that as a failed request): these positions stay unacknowledged.
                throw new OperationCanceledException("The InfluxDB sink was stopped before the write finished.", ex, _stop.Token);
            }
            _acknowledge(positions);
            body.Clear();
            positions.Clear();
        }
    }

    private async Task WriteAsync(string lines, int points)
    {
        try
        {
            await SendAsync(lines).ConfigureAwait(false);
            _counters.AddPointsWritten(points);
        }
        catch (Exception ex) when (Kind(ex) is InfluxWriteFaultKind.TooLarge or InfluxWriteFaultKind.PointsRefused)
        {
            await SplitAsync(lines.Split('\n', StringSplitOptions.RemoveEmptyEntries), ex).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Halves a request refused for its size (413) or for some of its points (400, 422) and writes each half the same
    /// way, until every part is written or a single point is refused: only that point is rejected.
    /// </summary>
    private async Task SplitAsync(ArraySegment<string> lines, Exception refusal)
    {
        if (lines.Count == 1)
        {
            Reject(lines[0], Redact(InfluxWriteFault.Describe(refusal)));
            return;
        }
        if (Kind(refusal) is InfluxWriteFaultKind.TooLarge && _tooLargeLog.Record("413", _time.GetUtcNow(), out var refusals))
            LogTooLarge(_logger, lines.Count, Redact(InfluxWriteFault.Describe(refusal)), refusals, _options.BatchPoints);
        int half = lines.Count / 2;
        foreach (var part in new[] { lines[..half], lines[half..] })
        {
            var text = string.Join('\n', part.AsSpan()) + "\n";
            try
            {
                await SendAsync(text).ConfigureAwait(false);
                _counters.AddPointsWritten(part.Count);
            }
            catch (Exception ex) when (Kind(ex) is InfluxWriteFaultKind.TooLarge or InfluxWriteFaultKind.PointsRefused)
            {
                await SplitAsync(part, ex).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One request, retried while InfluxDB is unavailable or refuses the configuration; throws what is not retried.</summary>
    private async Task SendAsync(string lines)
    {
        try
        {
            await _resilience.ExecuteAsync(async ct =>
            {
                long started = Stopwatch.GetTimestamp();
                try
                {
                    await _write.WriteRecordAsync(lines, WritePrecision.Ns, _options.Bucket, _options.Org, ct).ConfigureAwait(false);
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
