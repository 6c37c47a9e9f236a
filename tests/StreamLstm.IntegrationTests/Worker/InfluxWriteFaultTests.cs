using System.Net;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Telemetry;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>The worker against an InfluxDB that refuses writes for the configuration or for their size, through the fixture's front.</summary>
[Collection(PipelineCollection.Name)]
public sealed class InfluxWriteFaultTests(KafkaFixture kafka, InfluxFixture influx)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static Task WaitAsync(Func<bool> condition, string what, Func<string> diagnostics) =>
        Poll.UntilAsync(_ => Task.FromResult(condition()), Patience, what, diagnostics);

    /// <summary>Every point the harness's worker writes for <paramref name="perSymbol"/> ticks of each of <paramref name="symbols"/> symbols.</summary>
    private static (int Prices, int Forecasts, int All) PointsFor(int symbols, int perSymbol)
    {
        int warm = perSymbol - WorkerHarness.Settings.Warmup;
        int forecasts = symbols * warm * WorkerHarness.Settings.Horizons;
        // forecast_error: for horizon h, the forecasts made at ticks Warmup..perSymbol-1-h (two horizons).
        int errors = symbols * (2 * warm - 3);
        return (symbols * perSymbol, forecasts, symbols * perSymbol + forecasts + errors);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "unauthorized access", "InfluxDB answered 401 Unauthorized: unauthorized access")]
    [InlineData(HttpStatusCode.Forbidden, "insufficient permissions for write", "InfluxDB answered 403 Forbidden: insufficient permissions for write")]
    [InlineData(HttpStatusCode.NotFound, "bucket \"ticks\" not found", "InfluxDB answered 404 Not Found: bucket \"ticks\" not found")]
    public async Task A_period_of_configuration_faults_pauses_the_stream_and_loses_and_rejects_no_point(HttpStatusCode status, string message, string fault)
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var ticks = WorkerHarness.Ticks(["C1", "C2", "C3"], 40);
        var points = PointsFor(3, 40);

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var refusing = influx.FailWrites(status, message);
        Task running;
        try
        {
            (_, running) = harness.Start(stop.Token, counters);
            await WorkerHarness.PublishAsync(kafka, topic, ticks);
            await WaitAsync(() => counters.WriteFailures >= 3 && harness.Sink?.Status.ConfigurationFault is not null, "writes refused and retried",
                () => $"failures {counters.WriteFailures}, status {harness.Sink?.Status}");
            Assert.Equal(fault, harness.Sink!.Status.ConfigurationFault);
            Assert.Equal(0, counters.PointsWritten);
            Assert.Equal(0, counters.PointsRejected);
        }
        finally
        {
            refusing.Dispose();
        }
        await WaitAsync(() => counters.PointsWritten >= points.All, "every point written once the configuration is right",
            () => $"points {counters.PointsWritten} of {points.All}, rejected {counters.PointsRejected}, status {harness.Sink?.Status}");
        Assert.Null(harness.Sink.Status.ConfigurationFault);
        stop.Cancel();
        await running;

        Assert.Equal(points.All, counters.PointsWritten);
        Assert.Equal(0, counters.PointsRejected);
        Assert.False(File.Exists(harness.Influx.RejectedPointsFile));
        Assert.Equal(points.Prices, await influx.CountAsync(bucket, "price"));
        Assert.Equal(points.Forecasts, await influx.CountAsync(bucket, "forecast"));
        Assert.NotNull(harness.Sink.Status.LastSuccessUtc);
        Assert.True(harness.Sink.Status.LastFailureUtc < harness.Sink.Status.LastSuccessUtc);
    }

    [Fact]
    public async Task Requests_too_large_are_split_until_accepted_and_every_point_arrives_with_none_rejected()
    {
        var topic = kafka.CreateTopicName("ticks");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var ticks = WorkerHarness.Ticks(["L1", "L2", "L3", "L4"], 40);
        var points = PointsFor(4, 40);
        // Published before the start, so the worker's requests merge many batches (up to 500 points) and exceed the limit.
        await WorkerHarness.PublishAsync(kafka, topic, ticks);

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        var refusedBefore = influx.WritesFailed;
        using (influx.FailWrites(HttpStatusCode.RequestEntityTooLarge, "request too large", abovePoints: 20))
        {
            var (_, running) = harness.Start(stop.Token, counters);
            await WaitAsync(() => counters.PointsWritten >= points.All, "every point written in parts",
                () => $"points {counters.PointsWritten} of {points.All}, rejected {counters.PointsRejected}, 413s {influx.WritesFailed - refusedBefore}");
            stop.Cancel();
            await running;
        }

        Assert.True(influx.WritesFailed > refusedBefore, "no request was large enough to be refused");
        Assert.Equal(points.All, counters.PointsWritten);
        Assert.Equal(0, counters.PointsRejected);
        Assert.Equal(0, counters.WriteFailures);
        Assert.False(File.Exists(harness.Influx.RejectedPointsFile));
        Assert.Equal(points.Prices, await influx.CountAsync(bucket, "price"));
        Assert.Equal(points.Forecasts, await influx.CountAsync(bucket, "forecast"));
        Assert.Null(harness.Sink!.Status.ConfigurationFault);
    }
}
