using System.Net;
using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;
using StreamLstm.Telemetry;
using StreamLstm.Sink;
using StreamLstm.Tests.Support;

namespace StreamLstm.Tests.Sink;

/// <summary>The sink against InfluxDB's write endpoint in memory (<see cref="ScriptedInfluxHandler"/>).</summary>
public sealed class InfluxPointSinkTests : IDisposable
{
    private const string Token = "secret-token-4711";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _temp = new();
    private readonly ListLoggerFactory _logs = new();
    private readonly PipelineCounters _counters = new();
    private readonly List<SourcePosition> _acknowledged = [];

    private string RejectedFile => _temp.File("rejected.lp");

    private IReadOnlyList<SourcePosition> Acknowledged
    {
        get
        {
            lock (_acknowledged) return [.. _acknowledged];
        }
    }

    private InfluxPointSink NewSink(ScriptedInfluxHandler influx, TimeProvider? time = null, Action<InfluxOptions>? configure = null,
        Action<IReadOnlyList<SourcePosition>>? acknowledge = null)
    {
        var options = new InfluxOptions
        {
            Url = "http://influx.test:8086",
            Token = Token,
            BatchPoints = 100,
            FlushInterval = TimeSpan.FromMilliseconds(10),
            QueueBatches = 4,
            MaxRetryDelay = TimeSpan.FromMilliseconds(1),
            BreakDuration = TimeSpan.FromMilliseconds(500),
            RejectedPointsFile = RejectedFile,
        };
        configure?.Invoke(options);
        return new(options, positions =>
        {
            lock (_acknowledged) _acknowledged.AddRange(positions);
            acknowledge?.Invoke(positions);
        }, _counters, _logs, time, influx);
    }

    /// <summary><paramref name="count"/> price points, one per offset of partition 0; those at the indices in <paramref name="bad"/> have a BAD symbol for a handler to refuse.</summary>
    private static (PointBatch Batch, string[] Lines) Prices(int count, params int[] bad) => Prices("OK", 0, count, bad);

    /// <summary>Price points of symbols <paramref name="prefix"/>0, 1, ..., one per offset from <paramref name="firstOffset"/>.</summary>
    private static (PointBatch Batch, string[] Lines) Prices(string prefix, int firstOffset, int count, params int[] bad)
    {
        var batch = new PointBatch();
        var lines = new string[count];
        for (int i = 0; i < count; i++)
        {
            lines[i] = $"price,symbol={(bad.Contains(i) ? "BAD" : prefix)}{i} value={100 + i} {1_700_000_000_000_000_000L + i}";
            batch.Lines.Append(lines[i]).Append('\n');
            batch.Positions.Add(new SourcePosition(0, firstOffset + i));
        }
        batch.Points = count;
        return (batch, lines);
    }

    private static IEnumerable<SourcePosition> Offsets(int count) => Enumerable.Range(0, count).Select(i => new SourcePosition(0, i));

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "InfluxDB answered 401 Unauthorized: unauthorized access")]
    [InlineData(HttpStatusCode.Forbidden, "InfluxDB answered 403 Forbidden: insufficient permissions for write")]
    [InlineData(HttpStatusCode.NotFound, "InfluxDB answered 404 Not Found: bucket \"ticks\" not found")]
    public async Task A_configuration_fault_holds_the_points_until_written_rejects_none_and_is_logged_once(HttpStatusCode status, string fault)
    {
        var stillRefused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fixedAgain = new TaskCompletionSource<HttpStatusCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        string? authorization = null;
        var influx = new ScriptedInfluxHandler(request =>
        {
            authorization = request.Authorization;
            if (request.Number <= 5) return Task.FromResult(status);
            stillRefused.TrySetResult();
            return fixedAgain.Task;
        });
        await using var sink = NewSink(influx);
        var (batch, lines) = Prices(10);
        await sink.WriteAsync(batch, CancellationToken.None);

        // The sixth attempt is under way: five were refused and retried, nothing was acknowledged or rejected.
        await stillRefused.Task.WaitAsync(Patience);
        Assert.Equal(fault, sink.Status.ConfigurationFault);
        Assert.Equal(fault, sink.Status.LastFailure);
        Assert.Equal(5, sink.Status.FailuresSinceSuccess);
        Assert.Null(sink.Status.LastSuccessUtc);
        Assert.Equal(5, _counters.WriteFailures);
        Assert.Empty(Acknowledged);
        fixedAgain.SetResult(HttpStatusCode.NoContent);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Null(sink.Status.ConfigurationFault);
        Assert.NotNull(sink.Status.LastSuccessUtc);
        Assert.Equal(0, sink.Status.FailuresSinceSuccess);
        Assert.Equal(lines, influx.Written);
        Assert.Equal(Offsets(10), Acknowledged);
        Assert.Equal(10, _counters.PointsWritten);
        Assert.Equal(0, _counters.PointsRejected);
        Assert.False(File.Exists(RejectedFile));
        var error = Assert.Single(_logs.Entries, e => e.Level >= LogLevel.Error).Message;
        Assert.Contains($": {fault} (failed attempts since the last report: 1)", error);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("accepts writes again after 5 attempts"));
        // The token went to InfluxDB, and into no log line.
        Assert.Equal($"Token {Token}", authorization);
        Assert.DoesNotContain(_logs.Entries, e => e.Message.Contains(Token));
    }

    [Fact]
    public async Task A_configuration_fault_that_persists_is_logged_again_after_a_minute_with_the_attempts_since()
    {
        var clock = new FixedClock(new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc));
        var influx = new ScriptedInfluxHandler(request =>
        {
            // The third attempt comes a minute after the first report; the sixth finds the token fixed.
            if (request.Number == 3) clock.UtcNow = clock.UtcNow.AddSeconds(61);
            return request.Number <= 5 ? HttpStatusCode.Unauthorized : HttpStatusCode.NoContent;
        });
        await using var sink = NewSink(influx, clock);
        await sink.WriteAsync(Prices(3).Batch, CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        var errors = _logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains("(failed attempts since the last report: 1)", errors[0]);
        Assert.Contains("(failed attempts since the last report: 2)", errors[1]);
        Assert.Contains(_logs.Entries, e => e.Message.Contains("accepts writes again after 5 attempts"));
        Assert.Equal(clock.UtcNow, sink.Status.LastSuccessUtc);
        Assert.Equal(Offsets(3), Acknowledged);
    }

    [Fact]
    public async Task A_request_too_large_is_written_in_halves_and_no_point_is_rejected()
    {
        var influx = new ScriptedInfluxHandler(request => request.Lines.Length > 3 ? HttpStatusCode.RequestEntityTooLarge : HttpStatusCode.NoContent);
        await using var sink = NewSink(influx);
        var (batch, lines) = Prices(10);
        await sink.WriteAsync(batch, CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Equal(lines.Order(), influx.Written.Order());
        Assert.Equal(10, _counters.PointsWritten);
        Assert.Equal(0, _counters.PointsRejected);
        Assert.False(File.Exists(RejectedFile));
        Assert.Equal(Offsets(10), Acknowledged);
        Assert.Null(sink.Status.ConfigurationFault);
        // 10 -> 5 + 5 -> (2 + 3) + (2 + 3): three refusals, reported in one line (the others are within the minute).
        Assert.Single(_logs.Entries, e => e.Message.Contains("as too large"));
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_single_point_still_too_large_is_rejected_with_the_reason_and_the_others_are_written()
    {
        var influx = new ScriptedInfluxHandler(request =>
            request.Lines.Length > 3 || request.Lines.Any(l => l.Contains("BAD")) ? HttpStatusCode.RequestEntityTooLarge : HttpStatusCode.NoContent);
        await using var sink = NewSink(influx);
        var (batch, lines) = Prices(8, 6);
        await sink.WriteAsync(batch, CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Equal(lines.Where(l => !l.Contains("BAD")).Order(), influx.Written.Order());
        Assert.Equal(1, _counters.PointsRejected);
        var rejected = File.ReadAllLines(RejectedFile);
        Assert.Equal(2, rejected.Length);
        Assert.EndsWith(" HTTP 413 Request Entity Too Large: request too large", rejected[0]);
        Assert.Equal(lines[6], rejected[1]);
        Assert.Equal(Offsets(8), Acknowledged);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "HTTP 400 Bad Request: partial write: field type conflict")]
    [InlineData(HttpStatusCode.UnprocessableEntity, "HTTP 422 Unprocessable Entity: points beyond retention policy dropped")]
    public async Task Points_refused_for_themselves_are_isolated_and_only_they_are_rejected(HttpStatusCode status, string reason)
    {
        var influx = new ScriptedInfluxHandler(request => request.Lines.Any(l => l.Contains("BAD")) ? status : HttpStatusCode.NoContent);
        await using var sink = NewSink(influx);
        var (batch, lines) = Prices(8, 2, 5);
        await sink.WriteAsync(batch, CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Equal(lines.Where(l => !l.Contains("BAD")).Order(), influx.Written.Order());
        Assert.Equal(6, _counters.PointsWritten);
        Assert.Equal(2, _counters.PointsRejected);
        Assert.Equal(0, _counters.WriteFailures);
        var rejected = File.ReadAllLines(RejectedFile);
        Assert.Equal([lines[2], lines[5]], rejected.Where(l => !l.StartsWith('#')));
        Assert.All(rejected.Where(l => l.StartsWith('#')), l => Assert.EndsWith(" " + reason, l));
        Assert.Equal(Offsets(8), Acknowledged);
        Assert.Null(sink.Status.ConfigurationFault);
    }

    [Fact]
    public async Task Unavailability_and_network_errors_are_retried_and_the_open_circuit_shows_in_the_status()
    {
        var trial = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = new TaskCompletionSource<HttpStatusCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        var influx = new ScriptedInfluxHandler(request => request.Number switch
        {
            1 or 3 => Task.FromResult(HttpStatusCode.ServiceUnavailable),
            2 => Task.FromException<HttpStatusCode>(new HttpRequestException("Connection refused")),
            _ => Trial(),
        });
        Task<HttpStatusCode> Trial()
        {
            trial.TrySetResult();
            return answer.Task;
        }
        await using var sink = NewSink(influx);
        var (batch, lines) = Prices(4);
        await sink.WriteAsync(batch, CancellationToken.None);

        // Three failures opened the circuit; the fourth request is the trial after the break.
        await trial.Task.WaitAsync(Patience);
        Assert.True(sink.Status.CircuitOpen);
        Assert.Null(sink.Status.ConfigurationFault);
        Assert.Equal("HTTP 503 Service Unavailable: injected 503", sink.Status.LastFailure);
        Assert.Empty(Acknowledged);
        answer.SetResult(HttpStatusCode.NoContent);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.False(sink.Status.CircuitOpen);
        Assert.Equal(lines, influx.Written);
        Assert.Equal(Offsets(4), Acknowledged);
        Assert.Equal(0, _counters.PointsRejected);
        Assert.True(_counters.WriteFailures >= 3, $"failures {_counters.WriteFailures}");
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_sink_stopped_while_the_configuration_is_refused_acknowledges_nothing()
    {
        var refused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var influx = new ScriptedInfluxHandler(_ =>
        {
            refused.TrySetResult();
            return HttpStatusCode.Unauthorized;
        });
        await using var sink = NewSink(influx);
        await sink.WriteAsync(Prices(3).Batch, CancellationToken.None);
        await refused.Task.WaitAsync(Patience);
        using var stop = new CancellationTokenSource();
        var completing = sink.CompleteAsync(stop.Token);
        await stop.CancelAsync();
        await completing.WaitAsync(Patience);

        Assert.Empty(Acknowledged);
        Assert.Empty(influx.Written);
        Assert.Equal(0, _counters.PointsRejected);
        Assert.False(File.Exists(RejectedFile));
    }

    [Fact]
    public void Defaults_are_two_requests_in_flight_a_sort_window_of_100000_points_and_no_gzip()
    {
        var options = new InfluxOptions();
        Assert.Equal(2, options.MaxInFlight);
        Assert.Equal(100_000, options.SortWindowPoints);
        Assert.False(options.Gzip);
    }

    [Fact]
    public async Task A_window_is_sorted_by_series_and_cut_into_requests_of_at_most_BatchPoints()
    {
        var requests = new List<string[]>();
        var influx = new ScriptedInfluxHandler(request =>
        {
            lock (requests) requests.Add(request.Lines);
            return HttpStatusCode.NoContent;
        });
        await using var sink = NewSink(influx, configure: o => o.SortWindowPoints = 1000);
        var batch = new PointBatch();
        var lines = new List<string>();
        for (int t = 0; t < 50; t++)
            foreach (var symbol in new[] { "Z", "M", "A" })
            {
                lines.Add($"price,symbol={symbol} value={t} {1_000 + t}");
                batch.Lines.Append(lines[^1]).Append('\n');
            }
        batch.Points = lines.Count;
        batch.Positions.Add(new SourcePosition(0, 0));
        await sink.WriteAsync(batch, CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        // 150 points: two requests of 75 (under way together, so either may be accepted first), A's 50 points first in
        // time order, then M's, then Z's.
        Assert.Equal([75, 75], requests.Select(r => r.Length));
        Assert.Equal(lines.OrderBy(l => l[..l.IndexOf(' ')], StringComparer.Ordinal).ThenBy(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..])),
            requests.OrderBy(r => r[0], StringComparer.Ordinal).SelectMany(r => r));
        Assert.Equal([new SourcePosition(0, 0)], Acknowledged);
        Assert.Equal(150, _counters.PointsWritten);
    }

    [Fact]
    public async Task At_most_MaxInFlight_requests_are_under_way_at_once()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int underWay = 0, most = 0;
        var influx = new ScriptedInfluxHandler(async _ =>
        {
            int now = Interlocked.Increment(ref underWay);
            lock (gate) most = Math.Max(most, now);
            // The first two wait for each other: with one request at a time this never opens.
            if (now == 2) gate.TrySetResult();
            await gate.Task;
            Interlocked.Decrement(ref underWay);
            return HttpStatusCode.NoContent;
        });
        await using var sink = NewSink(influx, configure: o => o.SortWindowPoints = 100);
        for (int b = 0; b < 6; b++) await sink.WriteAsync(Prices($"B{b}-", b * 100, 100).Batch, CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(2, most);
        Assert.Equal(6, influx.Requests);
        Assert.Equal(Offsets(600), Acknowledged.OrderBy(p => p.Offset));
    }

    [Fact]
    public async Task A_later_request_written_first_is_acknowledged_alone_and_the_offset_stored_waits_for_the_earlier_one()
    {
        var earlierStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var earlierAnswer = new TaskCompletionSource<HttpStatusCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        int earlierAttempts = 0;
        var influx = new ScriptedInfluxHandler(request =>
        {
            if (!request.Lines[0].Contains("symbol=EARLY")) return Task.FromResult(HttpStatusCode.NoContent);
            // The earlier request fails once, then hangs until the test lets it through.
            if (Interlocked.Increment(ref earlierAttempts) == 1) return Task.FromResult(HttpStatusCode.ServiceUnavailable);
            earlierStarted.TrySetResult();
            return earlierAnswer.Task;
        });
        var tracker = new OffsetTracker();
        for (long offset = 0; offset < 200; offset++) tracker.Track(new SourcePosition(0, offset));
        var stored = new List<SourcePosition>();
        var laterAcknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sink = NewSink(influx, configure: o => o.SortWindowPoints = 100, acknowledge: positions =>
        {
            lock (stored) stored.AddRange(tracker.Complete(positions));
            if (positions.Any(p => p.Offset >= 100)) laterAcknowledged.TrySetResult();
        });
        await sink.WriteAsync(Prices("EARLY", 0, 100).Batch, CancellationToken.None);
        await sink.WriteAsync(Prices("LATE", 100, 100).Batch, CancellationToken.None);

        await laterAcknowledged.Task.WaitAsync(Patience);
        await earlierStarted.Task.WaitAsync(Patience);
        // The later request's ticks are done, the earlier one's not: nothing may be stored past offset 0.
        Assert.Equal(Enumerable.Range(100, 100).Select(i => new SourcePosition(0, i)), Acknowledged);
        lock (stored) Assert.Empty(stored);
        Assert.Equal(-1, tracker.DoneBefore(0, 0));

        earlierAnswer.SetResult(HttpStatusCode.NoContent);
        await sink.CompleteAsync(CancellationToken.None);
        Assert.Equal(Offsets(200), Acknowledged.OrderBy(p => p.Offset));
        Assert.Equal([new SourcePosition(0, 200)], stored);
        Assert.Equal(200, _counters.PointsWritten);
    }

    [Fact]
    public async Task With_gzip_the_body_is_sent_compressed_and_the_same_lines_arrive()
    {
        var compressed = new List<bool>();
        var influx = new ScriptedInfluxHandler(request =>
        {
            lock (compressed) compressed.Add(request.Gzip);
            return HttpStatusCode.NoContent;
        });
        await using var sink = NewSink(influx, configure: o => o.Gzip = true);
        var (batch, lines) = Prices(50);
        await sink.WriteAsync(batch, CancellationToken.None);
        await sink.CompleteAsync(CancellationToken.None);

        Assert.Equal(lines.Order(StringComparer.Ordinal), influx.Written);
        Assert.Equal([true], compressed);
        Assert.Equal(Offsets(50), Acknowledged);
    }

    public void Dispose() => _temp.Dispose();
}
