using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using StreamLstm.IntegrationTests.Fixtures;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// The worker's HTTP endpoint as an operator and Prometheus see it: <c>streamlstm run</c> in its own process against the
/// broker and the InfluxDB server, <c>/metrics</c> and <c>/health/*</c> read over HTTP.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed partial class OperationsEndpointTests(KafkaFixture kafka, InfluxFixture influx)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>The series users rely on (docs/reference.md, "Metrics"), present from the start.</summary>
    private static readonly string[] ContractSeries =
    [
        "streamlstm_ticks_consumed_total", "streamlstm_ticks_late_total", "streamlstm_dead_letters_total", "streamlstm_forecasts_total",
        "streamlstm_points_written_total", "streamlstm_points_rejected_total", "streamlstm_symbols", "streamlstm_retrains_total", "streamlstm_model_info",
    ];

    [Fact]
    public async Task Metrics_carry_what_was_sent_and_readiness_follows_an_influxdb_outage_while_liveness_holds()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("this test stops the worker with SIGTERM (kill(1)); it runs on Linux");
        var topic = kafka.CreateTopicName("ops");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var work = harness.WorkDirectory("ops");
        var url = $"http://127.0.0.1:{FreePort.Pick()}";
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        using var worker = new WorkerProcess(harness.RunArguments(url, work), work);

        // Counters are there from the start, at 0, before any tick.
        await Poll.UntilAsync(async ct => (await http.GetAsync("/metrics", ct)).IsSuccessStatusCode, Patience, "/metrics answering", () => worker.Output);
        var first = Parse(await http.GetStringAsync("/metrics"));
        AssertSeries(first, ContractSeries.Where(s => s != "streamlstm_model_info"));
        Assert.Equal(0, Value(first, "streamlstm_ticks_consumed_total"));

        var ticks = WorkerHarness.Ticks(["EURUSD", "BRK.B", "日経225"], 40);
        await WorkerHarness.PublishAsync(kafka, topic, ticks);
        await kafka.ProduceAsync(topic, "EURUSD", "{\"symbol\":\"EURUSD\",\"price\":1}");
        int forecastTicks = 3 * (40 - WorkerHarness.Settings.Warmup);
        await Poll.UntilAsync(async ct =>
            {
                var m = Parse(await http.GetStringAsync("/metrics", ct));
                return Value(m, "streamlstm_ticks_consumed_total") == ticks.Count && Value(m, "streamlstm_dead_letters_total") == 1
                    && Value(m, "streamlstm_points_written_total") > 0 && m.Any(x => x.Name == "streamlstm_consumer_lag");
            }, Patience, "the ticks and the dead letter counted", () => worker.Output);
        var metrics = Parse(await http.GetStringAsync("/metrics"));
        AssertSeries(metrics, ContractSeries);
        Assert.Equal(ticks.Count, Value(metrics, "streamlstm_ticks_consumed_total"));
        Assert.Equal(0, Value(metrics, "streamlstm_ticks_late_total"));
        Assert.Equal(3, Value(metrics, "streamlstm_symbols"));
        Assert.Equal(forecastTicks * WorkerHarness.Settings.Horizons, metrics.Where(m => m.Name == "streamlstm_forecasts_total").Sum(m => m.Value));
        Assert.Equal(1, Value(metrics, "streamlstm_model_info", "version=\"v1\""));
        Assert.Equal(ticks.Count, Value(metrics, "streamlstm_tick_latency_seconds_count"));
        Assert.Contains(metrics, m => m.Name == "streamlstm_influx_write_duration_seconds_bucket");
        // Every message of the topic was consumed: no partition lags.
        await Poll.UntilAsync(async ct => Parse(await http.GetStringAsync("/metrics", ct)).Where(m => m.Name == "streamlstm_consumer_lag").All(m => m.Value == 0),
            Patience, "consumer lag 0", () => worker.Output);

        await Poll.UntilAsync(async ct => (await http.GetAsync("/health/ready", ct)).StatusCode == HttpStatusCode.OK, Patience, "ready",
            () => http.GetStringAsync("/health/ready").GetAwaiter().GetResult());
        // The verb a container health check runs says the same.
        Assert.Equal(0, StreamLstm.Worker.Verbs.CommandLine.Run(["health", "--url", url]));
        var ready = await ReadAsync(http, "/health/ready");
        Assert.True(ready.GetProperty("status").GetString() == "Healthy", ready.ToString());
        Assert.Equal(["history", "influxdb", "kafka", "model"], ready.GetProperty("checks").EnumerateObject().Select(c => c.Name).Order());

        // InfluxDB goes away, with no ticks flowing: readiness fails within 10 s, naming InfluxDB; liveness holds.
        var clock = Stopwatch.StartNew();
        await influx.StopAsync();
        try
        {
            await OutageAsync(http, worker, ticks.Count, topic, clock);
        }
        finally
        {
            // Whatever happened, the next tests find InfluxDB up.
            if (!influx.FrontIsRunning) await influx.StartAsync();
        }
        var up = clock.Elapsed;
        // Nothing was lost to the outage: every price is in InfluxDB.
        await Poll.UntilAsync(async _ => await influx.CountAsync(bucket, "price") == ticks.Count + 30, Patience, "every price written",
            () => worker.Output);
        Console.WriteLine(FormattableString.Invariant($"readiness flipped to 503 after {_down.TotalSeconds:F1} s and back to 200 after {up.TotalSeconds:F1} s"));

        // A token InfluxDB refuses (401) while it answers /ping: not ready, naming the refusal; ready again once writes pass.
        var refused = WorkerHarness.Ticks(["EURUSD", "BRK.B", "日経225"], 52).Skip(ticks.Count + 30).ToList();
        using (influx.FailWrites(HttpStatusCode.Unauthorized, "unauthorized access"))
        {
            await WorkerHarness.PublishAsync(kafka, topic, refused);
            await Poll.UntilAsync(async ct => (await http.GetAsync("/health/ready", ct)).StatusCode == HttpStatusCode.ServiceUnavailable, Patience,
                "not ready while writes are refused", () => worker.Output);
            var description = (await ReadAsync(http, "/health/ready")).GetProperty("checks").GetProperty("influxdb").GetProperty("description").GetString();
            Assert.Contains("InfluxDB refuses the writes: InfluxDB answered 401", description);
        }
        await Poll.UntilAsync(async ct => (await http.GetAsync("/health/ready", ct)).StatusCode == HttpStatusCode.OK, Patience, "ready once writes pass",
            () => worker.Output);
        await Poll.UntilAsync(async _ => await influx.CountAsync(bucket, "price") == ticks.Count + 30 + refused.Count, Patience, "every price written",
            () => worker.Output);

        var exposed = await http.GetStringAsync("/metrics") + await http.GetStringAsync("/health/ready") + await http.GetStringAsync("/health/live");
        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.DoesNotContain(influx.Token, exposed);
        Assert.DoesNotContain(influx.Token, worker.Output);
        Assert.DoesNotContain("%3|", worker.Output);
        Directory.Delete(work, recursive: true);
    }

    private TimeSpan _down;

    /// <summary>InfluxDB away, then back: readiness follows within 10 s each way, liveness holds, ticks wait.</summary>
    private async Task OutageAsync(HttpClient http, WorkerProcess worker, int consumed, string topic, Stopwatch clock)
    {
        await Poll.UntilAsync(async ct => (await http.GetAsync("/health/ready", ct)).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(10), "not ready within 10 s of InfluxDB going away", () => worker.Output);
        _down = clock.Elapsed;
        var notReady = await ReadAsync(http, "/health/ready");
        Assert.Equal("Unhealthy", notReady.GetProperty("checks").GetProperty("influxdb").GetProperty("status").GetString());
        Assert.Contains("unreachable", notReady.GetProperty("checks").GetProperty("influxdb").GetProperty("description").GetString());
        // Ticks arrive meanwhile: they wait for InfluxDB, and the worker stays live.
        var more = WorkerHarness.Ticks(["EURUSD", "BRK.B", "日経225"], 50).Skip(consumed).ToList();
        await WorkerHarness.PublishAsync(kafka, topic, more);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        await Poll.UntilAsync(async ct => Value(Parse(await http.GetStringAsync("/metrics", ct)), "streamlstm_ticks_consumed_total") == consumed + more.Count,
            Patience, "ticks consumed during the outage", () => worker.Output);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        // The gauge follows the checks as they are re-run every few seconds.
        await Poll.UntilAsync(async ct => Value(Parse(await http.GetStringAsync("/metrics", ct)), "streamlstm_ready") == 0, TimeSpan.FromSeconds(10),
            "streamlstm_ready 0", () => worker.Output);
        Assert.Equal(1, StreamLstm.Worker.Verbs.CommandLine.Run(["health", "--url", http.BaseAddress!.ToString()]));
        Assert.Equal(0, StreamLstm.Worker.Verbs.CommandLine.Run(["health", "--url", http.BaseAddress!.ToString(), "--live"]));

        clock.Restart();
        await influx.StartAsync();
        await Poll.UntilAsync(async ct => (await http.GetAsync("/health/ready", ct)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(10), "ready within 10 s of InfluxDB coming back", () => http.GetStringAsync("/health/ready").GetAwaiter().GetResult());
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:9", "Http:Url 'ftp://127.0.0.1:9' is not an http or https URL")]
    [InlineData("http://127.0.0.1:9/metrics", "Http:Url 'http://127.0.0.1:9/metrics' must be a scheme, host and port only")]
    public async Task A_bad_http_url_is_a_one_line_error_naming_the_key(string url, string message)
    {
        using var worker = new WorkerProcess(["run", $"--Kafka:BootstrapServers={kafka.BootstrapServers}", $"--Http:Url={url}"]);
        Assert.Equal(2, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.StartsWith($"error: invalid configuration: {message}", worker.Output.Trim().Split('\n').Single());
    }

    [Fact]
    public async Task A_port_already_taken_is_a_one_line_error_naming_the_key()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        var work = Directory.CreateTempSubdirectory("streamlstm-port-").FullName;
        using var worker = new WorkerProcess(["run", $"--Kafka:BootstrapServers={kafka.BootstrapServers}", $"--Http:Url={url}", "--Learning:Enabled=false"], work);
        Assert.Equal(2, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var errors = worker.Output.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.StartsWith($"error: Http:Url {url}: ", Assert.Single(errors));
        Assert.DoesNotContain("   at ", worker.Output);
        Directory.Delete(work, recursive: true);
    }

    private static void AssertSeries(List<Sample> samples, IEnumerable<string> names)
    {
        var missing = names.Where(n => !samples.Any(s => s.Name == n)).ToList();
        Assert.True(missing.Count == 0, $"missing series: {string.Join(", ", missing)}");
    }

    /// <summary>The JSON a health path answers, whatever its status code.</summary>
    private static async Task<JsonElement> ReadAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private sealed record Sample(string Name, string Labels, double Value);

    /// <summary>The samples of a Prometheus text exposition (comments skipped).</summary>
    private static List<Sample> Parse(string text) =>
        text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => SampleLine().Match(l)).Where(m => m.Success)
            .Select(m => new Sample(m.Groups["name"].Value, m.Groups["labels"].Value, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))
            .ToList();

    private static double Value(List<Sample> samples, string name, string? label = null) =>
        samples.Where(s => s.Name == name && (label is null || s.Labels.Contains(label, StringComparison.Ordinal))).Sum(s => s.Value);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>[^ ]+)( [0-9]+)?$")]
    private static partial Regex SampleLine();
}
