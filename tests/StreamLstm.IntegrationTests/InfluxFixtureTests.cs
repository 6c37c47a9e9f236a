using System.Diagnostics;
using System.Globalization;
using System.Net;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Core.Exceptions;
using InfluxDB.Client.Writes;
using StreamLstm.IntegrationTests.Fixtures;
using Xunit.Abstractions;

namespace StreamLstm.IntegrationTests;

[Collection(InfluxCollection.Name)]
public sealed class InfluxFixtureTests(InfluxFixture influx, ITestOutputHelper output)
{
    // Symbols docs/reference.md calls valid, chosen for what line protocol must escape or pass through untouched.
    private static readonly string[] AwkwardSymbols =
        ["A B", "a,b=c", "EUR/USD", "^GSPC", "日経225", "BRK.B", "ES=F", "quote\"d", @"back\slash", "Ünïcödé €"];

    private static readonly long BaseTime = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000;

    [Fact]
    public async Task InfluxDbClient_writes_a_thousand_points_with_awkward_tags_and_they_read_back_exactly()
    {
        output.WriteLine($"backend: {influx.Backend}, front {influx.Url}, server {influx.UpstreamUrl}");
        var bucket = await influx.NewBucketAsync();
        var expected = Enumerable.Range(0, 1000)
            .Select(i => (
                Symbol: AwkwardSymbols[i % AwkwardSymbols.Length],
                Horizon: (i % 3 + 1).ToString(CultureInfo.InvariantCulture),
                Time: BaseTime + i * 1_000_000_007L,
                Value: i * 0.25))
            .ToList();
        var points = expected
            .Select(p => PointData.Measurement("price")
                .Tag("symbol", p.Symbol)
                .Tag("horizon", p.Horizon)
                .Field("value", p.Value)
                .Timestamp(p.Time, WritePrecision.Ns))
            .ToList();
        var forwardedBefore = influx.WritesForwarded;

        using var client = influx.CreateClient();
        var clock = Stopwatch.StartNew();
        await client.GetWriteApiAsync().WritePointsAsync(points, bucket, influx.Org);
        output.WriteLine($"1,000 points written in {clock.ElapsedMilliseconds} ms");

        var rows = await influx.QueryAsync(bucket, "SELECT \"value\", \"symbol\", \"horizon\" FROM \"price\"");
        var actual = rows
            .Select(r => (Symbol: r.GetString("symbol")!, Horizon: r.GetString("horizon")!, r.Time, Value: r.GetDouble("value")!.Value))
            .OrderBy(p => p.Time)
            .ToList();
        Assert.Equal(expected, actual);

        var tagValues = await influx.QueryAsync(bucket, "SHOW TAG VALUES FROM \"price\" WITH KEY = \"symbol\"");
        Assert.Equal(AwkwardSymbols.Order(StringComparer.Ordinal), tagValues.Select(r => r.GetString("value")!).Order(StringComparer.Ordinal));
        Assert.Equal(1, influx.WritesForwarded - forwardedBefore);
    }

    [Fact]
    public async Task A_write_the_front_answers_400_surfaces_as_an_exception_with_that_status_and_message()
    {
        var bucket = await influx.NewBucketAsync();
        using var client = influx.CreateClient();
        var writes = client.GetWriteApiAsync();

        using (influx.FailWrites(HttpStatusCode.BadRequest, "field type conflict: input field \"value\" is type string", count: 1))
        {
            var rejected = await Assert.ThrowsAsync<BadRequestException>(
                () => writes.WriteRecordAsync("price,symbol=X value=1 1", WritePrecision.Ns, bucket, influx.Org));
            Assert.Equal(400, rejected.Status);
            Assert.Contains("field type conflict", rejected.Message);

            // The failure was for one write only: the next one reaches the server.
            await writes.WriteRecordAsync("price,symbol=X value=2 2", WritePrecision.Ns, bucket, influx.Org);
        }

        var rows = await influx.QueryAsync(bucket, "SELECT \"value\" FROM \"price\"");
        Assert.Equal([2.0], rows.Select(r => r.GetDouble("value")!.Value));
    }

    [Fact]
    public async Task The_server_s_own_rejection_of_bad_line_protocol_reaches_the_client_as_400()
    {
        var bucket = await influx.NewBucketAsync();
        using var client = influx.CreateClient();

        var rejected = await Assert.ThrowsAsync<BadRequestException>(
            () => client.GetWriteApiAsync().WriteRecordAsync("price,symbol=X value=", WritePrecision.Ns, bucket, influx.Org));

        output.WriteLine($"server said: {rejected.Message}");
        Assert.Equal(400, rejected.Status);
        Assert.Empty(await influx.QueryAsync(bucket, "SELECT * FROM \"price\""));
    }

    [Fact]
    public async Task While_a_503_is_set_every_write_fails_and_once_cleared_writes_land()
    {
        var bucket = await influx.NewBucketAsync();
        using var client = influx.CreateClient();
        var writes = client.GetWriteApiAsync();
        var failedBefore = influx.WritesFailed;

        using (influx.FailWrites(HttpStatusCode.ServiceUnavailable, "outage"))
        {
            for (var i = 0; i < 3; i++)
            {
                var e = await Assert.ThrowsAsync<ServiceUnavailableException>(
                    () => writes.WriteRecordAsync($"price,symbol=X value={i} {i}", WritePrecision.Ns, bucket, influx.Org));
                Assert.Equal(503, e.Status);
            }

            // Queries go to the server directly and are not affected.
            Assert.Empty(await influx.QueryAsync(bucket, "SELECT * FROM \"price\""));
        }

        await writes.WriteRecordAsync("price,symbol=X value=9 9", WritePrecision.Ns, bucket, influx.Org);
        Assert.Equal(3, influx.WritesFailed - failedBefore);
        Assert.Single(await influx.QueryAsync(bucket, "SELECT * FROM \"price\""));
    }

    [Fact]
    public async Task A_failure_for_writes_above_a_size_fails_only_those_and_forwards_the_smaller_ones()
    {
        var bucket = await influx.NewBucketAsync();
        using var client = influx.CreateClient();
        var writes = client.GetWriteApiAsync();
        var failedBefore = influx.WritesFailed;

        using (influx.FailWrites(HttpStatusCode.RequestEntityTooLarge, "request too large", abovePoints: 2))
        {
            var refused = await Assert.ThrowsAsync<RequestEntityTooLargeException>(
                () => writes.WriteRecordAsync("price,symbol=X value=1 1\nprice,symbol=X value=2 2\nprice,symbol=X value=3 3", WritePrecision.Ns, bucket, influx.Org));
            Assert.Equal(413, refused.Status);
            Assert.Equal("request too large", refused.Message);

            await writes.WriteRecordAsync("price,symbol=X value=4 4\nprice,symbol=X value=5 5", WritePrecision.Ns, bucket, influx.Org);
        }

        Assert.Equal(1, influx.WritesFailed - failedBefore);
        var rows = await influx.QueryAsync(bucket, "SELECT \"value\" FROM \"price\"");
        Assert.Equal([4.0, 5.0], rows.Select(r => r.GetDouble("value")!.Value));
    }

    [Fact]
    public async Task A_gzip_compressed_write_passes_the_front_as_sent_and_lands()
    {
        var bucket = await influx.NewBucketAsync();
        using var client = influx.CreateClient();
        client.EnableGzip();
        var writes = client.GetWriteApiAsync();
        var body = string.Join('\n', Enumerable.Range(0, 500).Select(i => $"price,symbol=GZ value={i} {BaseTime + i}"));

        // A failure for large writes counts the lines of a compressed body too.
        using (influx.FailWrites(HttpStatusCode.RequestEntityTooLarge, "request too large", abovePoints: 499))
        {
            await Assert.ThrowsAsync<RequestEntityTooLargeException>(() => writes.WriteRecordAsync(body, WritePrecision.Ns, bucket, influx.Org));
        }

        var bytesBefore = influx.WriteBytes;
        await writes.WriteRecordAsync(body, WritePrecision.Ns, bucket, influx.Org);
        var sent = influx.WriteBytes - bytesBefore;
        output.WriteLine($"{System.Text.Encoding.UTF8.GetByteCount(body)} bytes of line protocol, {sent} on the wire");
        Assert.InRange(sent, 1, System.Text.Encoding.UTF8.GetByteCount(body) / 4);
        Assert.Equal(500, await influx.CountAsync(bucket, "price"));
    }

    [Fact]
    public async Task A_stopped_front_refuses_connections_and_after_a_restart_on_the_same_url_writes_land()
    {
        var bucket = await influx.NewBucketAsync();
        var url = influx.Url;
        using var client = influx.CreateClient();
        var writes = client.GetWriteApiAsync();
        await writes.WriteRecordAsync("price,symbol=X value=1 1", WritePrecision.Ns, bucket, influx.Org);

        await influx.StopAsync();
        try
        {
            Assert.False(influx.FrontIsRunning);
            var down = await Record.ExceptionAsync(
                () => writes.WriteRecordAsync("price,symbol=X value=2 2", WritePrecision.Ns, bucket, influx.Org));
            output.WriteLine($"while stopped: {down?.GetType().Name}: {down?.Message}");
            Assert.NotNull(down);
            Assert.False(await client.PingAsync());
        }
        finally
        {
            await influx.StartAsync();
        }

        Assert.Equal(url, influx.Url);
        Assert.True(await client.PingAsync());
        await writes.WriteRecordAsync("price,symbol=X value=3 3", WritePrecision.Ns, bucket, influx.Org);
        var rows = await influx.QueryAsync(bucket, "SELECT \"value\" FROM \"price\"");
        Assert.Equal([1.0, 3.0], rows.Select(r => r.GetDouble("value")!.Value));
    }

    [Fact]
    public async Task The_front_answers_ping_and_health_for_the_real_server_behind_it()
    {
        using var client = influx.CreateClient();
        Assert.True(await client.PingAsync());

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var health = await http.GetAsync($"{influx.Url}/health");
        var body = await health.Content.ReadAsStringAsync();
        output.WriteLine($"{influx.Backend}: /health {(int)health.StatusCode} {body}");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"pass\"", body);
        Assert.True(influx.Backend == InfluxFixture.DockerBackend || influx.Backend.StartsWith("influxd-1.", StringComparison.Ordinal),
            influx.Backend);
    }
}
