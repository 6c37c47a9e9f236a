using System.Diagnostics;
using System.Net;
using System.Text;
using System.Threading.Channels;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Core.Exceptions;
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
/// with exponential backoff and jitter behind a circuit breaker, for as long as it takes: points are never dropped
/// for an outage. Points InfluxDB refuses for good (other 4xx) are isolated by halving the request, counted, logged
/// with the reason and appended to the rejected-points file. Only then are the batches' source positions acknowledged.
/// </summary>
public sealed partial class InfluxPointSink : IPointSink, IAsyncDisposable
{
    private readonly Channel<PointBatch> _queue;
    private readonly InfluxOptions _options;
    private readonly InfluxDBClient _client;
    private readonly WriteApiAsync _write;
    private readonly ResiliencePipeline _resilience;
    private readonly Action<IReadOnlyList<SourcePosition>> _acknowledge;
    private readonly PipelineCounters _counters;
    private readonly ILogger _logger;
    private readonly Task _writer;
    private readonly CancellationTokenSource _stop = new();

    public InfluxPointSink(InfluxOptions options, Action<IReadOnlyList<SourcePosition>> acknowledge, PipelineCounters counters, ILogger logger, TimeProvider? time = null)
    {
        _options = options;
        _acknowledge = acknowledge;
        _counters = counters;
        _logger = logger;
        _queue = Channel.CreateBounded<PointBatch>(new BoundedChannelOptions(options.QueueBatches) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _client = new InfluxDBClient(new InfluxDBClientOptions(options.Url ?? throw new ArgumentException("Influx:Url is not set", nameof(options)))
        {
            Token = options.Token,
            Org = options.Org,
            Bucket = options.Bucket,
            Timeout = options.Timeout,
        });
        _write = _client.GetWriteApiAsync();
        _resilience = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = options.MaxRetryDelay,
                OnRetry = args =>
                {
                    _counters.AddWriteFailure();
                    LogRetry(_logger, args.AttemptNumber + 1, args.RetryDelay, Describe(args.Outcome.Exception));
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                FailureRatio = 0.5,
                MinimumThroughput = 3,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = options.BreakDuration,
                OnOpened = args => { LogCircuitOpened(_logger, args.BreakDuration); return default; },
                OnClosed = _ => { LogCircuitClosed(_logger); return default; },
            })
            .Build();
        _writer = Task.Run(WriteLoopAsync);
    }

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
        _queue.Writer.TryComplete();
        _stop.Cancel();
        try { await _writer.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _client.Dispose();
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
            if (points > 0) await WriteAsync(body.ToString(), points).ConfigureAwait(false);
            _acknowledge(positions);
            body.Clear();
            positions.Clear();
        }
    }

    private async Task WriteAsync(string lines, int points)
    {
        try
        {
            await _resilience.ExecuteAsync(async ct => await _write.WriteRecordAsync(lines, WritePrecision.Ns, _options.Bucket, _options.Org, ct).ConfigureAwait(false), _stop.Token).ConfigureAwait(false);
            _counters.AddPointsWritten(points);
        }
        catch (Exception ex) when (!IsTransient(ex) && ex is not OperationCanceledException)
        {
            await IsolateRejectedAsync(lines, ex).ConfigureAwait(false);
        }
    }

    /// <summary>Halves a refused request until the refused points stand alone; writes the rest.</summary>
    private async Task IsolateRejectedAsync(string lines, Exception refusal)
    {
        var all = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (all.Length == 1)
        {
            Reject(all[0], Describe(refusal));
            return;
        }
        int half = all.Length / 2;
        foreach (var part in new[] { all[..half], all[half..] })
        {
            var text = string.Join('\n', part) + "\n";
            try
            {
                await _resilience.ExecuteAsync(async ct => await _write.WriteRecordAsync(text, WritePrecision.Ns, _options.Bucket, _options.Org, ct).ConfigureAwait(false), _stop.Token).ConfigureAwait(false);
                _counters.AddPointsWritten(part.Length);
            }
            catch (Exception ex) when (!IsTransient(ex) && ex is not OperationCanceledException)
            {
                await IsolateRejectedAsync(text, ex).ConfigureAwait(false);
            }
        }
    }

    private void Reject(string line, string reason)
    {
        _counters.AddPointsRejected(1);
        LogRejected(_logger, reason, _options.RejectedPointsFile);
        var directory = Path.GetDirectoryName(Path.GetFullPath(_options.RejectedPointsFile));
        if (directory is not null) Directory.CreateDirectory(directory);
        System.IO.File.AppendAllText(_options.RejectedPointsFile, $"# {DateTime.UtcNow:O} {reason.ReplaceLineEndings(" ")}\n{line}\n");
    }

    /// <summary>Network failures, timeouts, 5xx and 429 are worth retrying; other 4xx are not.</summary>
    internal static bool IsTransient(Exception ex) => ex switch
    {
        OperationCanceledException => false,
        HttpException http => http.Status is >= 500 or 429 or 408 or 0,
        HttpRequestException or TimeoutException or IOException => true,
        BrokenCircuitException => true,
        _ => ex.InnerException is not null && IsTransient(ex.InnerException),
    };

    private static string Describe(Exception? ex) => ex switch
    {
        null => "unknown error",
        HttpException http => $"HTTP {http.Status}: {FirstLine(http.Message)}",
        _ => $"{ex.GetType().Name}: {FirstLine(ex.Message)}",
    };

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "InfluxDB write failed (attempt {Attempt}), retrying in {Delay}: {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "InfluxDB circuit opened for {BreakDuration}: writes wait, consumption pauses when the queue fills")]
    private static partial void LogCircuitOpened(ILogger logger, TimeSpan breakDuration);

    [LoggerMessage(Level = LogLevel.Information, Message = "InfluxDB circuit closed: writes flow again")]
    private static partial void LogCircuitClosed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "InfluxDB rejected a point for good ({Reason}); appended to {File}")]
    private static partial void LogRejected(ILogger logger, string reason, string file);
}
