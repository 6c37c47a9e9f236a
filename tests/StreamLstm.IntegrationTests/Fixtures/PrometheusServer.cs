using System.Globalization;
using System.Net;
using System.Text.Json;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c> package) scraping one target every second as job
/// <see cref="Job"/> and evaluating rule files every second, on a free loopback port with its TSDB in a temporary
/// directory. A test starts one once it knows the port of the worker it scrapes.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    public const string ExecutableVariable = "STREAMLSTM_PROMETHEUS";

    /// <summary>The scrape job's name, the one the dashboards and alert rules select (<c>job="streamlstm"</c>).</summary>
    public const string Job = "streamlstm";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ServerProcess _process;
    private readonly HttpClient _http;

    private PrometheusServer(ServerProcess process, Uri url)
    {
        _process = process;
        Url = url;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Url { get; }

    /// <summary>The prometheus executable: <c>$STREAMLSTM_PROMETHEUS</c>, else the first <c>prometheus</c> on PATH, else null.</summary>
    public static string? FindExecutable() => ServerProcess.FindExecutable(ExecutableVariable, "prometheus");

    /// <summary>
    /// Starts Prometheus scraping <paramref name="target"/> (<c>host:port</c>, path <c>/metrics</c>) with
    /// <paramref name="ruleFiles"/> loaded; returns once it answers <c>/-/ready</c>. Fails, never skips, when there is no
    /// prometheus binary (<paramref name="findExecutable"/>, by default <see cref="FindExecutable"/>).
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(string target, IReadOnlyList<string> ruleFiles,
        Func<string?>? findExecutable = null, CancellationToken cancellationToken = default)
    {
        var executable = (findExecutable ?? FindExecutable)() ?? throw new InvalidOperationException(
            "These tests need a real Prometheus server and prometheus is not on PATH. Install it with " +
            $"'apt-get install -y prometheus' (Debian/Ubuntu; or set {ExecutableVariable} to a prometheus 2.x binary).");

        return await ServerProcess.StartWithRetriesAsync(() => Launch(executable, target, ruleFiles), s => s._process,
            s => s.WaitUntilReadyAsync(cancellationToken)).ConfigureAwait(false);
    }

    private static PrometheusServer Launch(string executable, string target, IReadOnlyList<string> ruleFiles)
    {
        var directory = ServerProcess.NewDirectory("prometheus");
        var port = FreePort.Pick();
        var configPath = Path.Combine(directory, "prometheus.yml");
        File.WriteAllText(configPath, Config(target, ruleFiles));
        var process = ServerProcess.Start("prometheus", executable,
            [$"--config.file={configPath}", $"--web.listen-address=127.0.0.1:{port}", $"--storage.tsdb.path={Path.Combine(directory, "data")}"],
            directory);
        return new PrometheusServer(process, new Uri($"http://127.0.0.1:{port}"));
    }

    // JSON is YAML: paths and the target are written as JSON strings, so no character in them needs YAML quoting.
    private static string Config(string target, IReadOnlyList<string> ruleFiles) => $$"""
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        rule_files: {{JsonSerializer.Serialize(ruleFiles)}}
        scrape_configs:
          - job_name: {{Job}}
            metrics_path: /metrics
            static_configs:
              - targets: [{{JsonSerializer.Serialize(target)}}]
        """;

    private Task WaitUntilReadyAsync(CancellationToken cancellationToken) =>
        // A process that dies while starting (a bad rule file, a port taken) is reported at once, with its output.
        _process.WaitUntilReadyAsync(
            async ct =>
            {
                using var response = await _http.GetAsync("/-/ready", ct).ConfigureAwait(false);
                return response.StatusCode == HttpStatusCode.OK;
            },
            StartTimeout,
            $"prometheus answering /-/ready on {Url}",
            cancellationToken);

    /// <summary>
    /// Evaluates <paramref name="promql"/> as an instant query (<c>/api/v1/query</c>) now, or at <paramref name="time"/>.
    /// Throws <see cref="InvalidOperationException"/> with Prometheus's error type and message when it refuses the query.
    /// </summary>
    public async Task<PrometheusResult> QueryAsync(string promql, DateTimeOffset? time = null, CancellationToken cancellationToken = default)
    {
        var form = new Dictionary<string, string> { ["query"] = promql };
        if (time is { } at)
        {
            form["time"] = (at.ToUnixTimeMilliseconds() / 1000.0).ToString(CultureInfo.InvariantCulture);
        }

        using var content = new FormUrlEncodedContent(form);
        using var response = await _http.PostAsync("/api/v1/query", content, cancellationToken).ConfigureAwait(false);
        using var document = await ReadAsync(response, $"PromQL '{promql}'", cancellationToken).ConfigureAwait(false);
        return PrometheusResult.Parse(document.RootElement.GetProperty("data"));
    }

    /// <summary>The values of <paramref name="label"/> over the series <paramref name="match"/> selects, as Grafana's <c>label_values(match, label)</c> lists them.</summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string match, CancellationToken cancellationToken = default)
    {
        var path = $"/api/v1/label/{Uri.EscapeDataString(label)}/values?match[]={Uri.EscapeDataString(match)}";
        using var response = await _http.GetAsync(path, cancellationToken).ConfigureAwait(false);
        using var document = await ReadAsync(response, $"label_values({match}, {label})", cancellationToken).ConfigureAwait(false);
        return [.. document.RootElement.GetProperty("data").EnumerateArray().Select(v => v.GetString() ?? "")];
    }

    /// <summary>Every rule of the loaded rule files, with the health of its last evaluation (<c>/api/v1/rules</c>).</summary>
    public async Task<IReadOnlyList<PrometheusRule>> RulesAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync("/api/v1/rules", cancellationToken).ConfigureAwait(false);
        using var document = await ReadAsync(response, "the rules", cancellationToken).ConfigureAwait(false);
        return [.. document.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(group => group.GetProperty("rules").EnumerateArray().Select(rule => PrometheusRule.Parse(group, rule)))];
    }

    /// <summary>The scrape targets as Prometheus sees them, one line each (URL, health, last error), for failure messages.</summary>
    public async Task<string> DescribeTargetsAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync("/api/v1/targets", cancellationToken).ConfigureAwait(false);
        using var document = await ReadAsync(response, "the targets", cancellationToken).ConfigureAwait(false);
        var lines = document.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
            .Select(t => $"{t.GetProperty("scrapeUrl").GetString()}: {t.GetProperty("health").GetString()}" +
                $" (last scrape {t.GetProperty("lastScrape").GetString()}, last error '{t.GetProperty("lastError").GetString()}')")
            .ToList();
        return lines.Count == 0 ? "no active targets (yet)" : string.Join('\n', lines);
    }

    /// <summary>The body of an API answer with <c>"status":"success"</c>; else Prometheus's error, as it gave it.</summary>
    private static async Task<JsonDocument> ReadAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"{what}: Prometheus answered {(int)response.StatusCode} with no API response: {body}");
        }

        var root = document.RootElement;
        if (root.TryGetProperty("status", out var status) && status.GetString() == "success")
        {
            return document;
        }

        var type = root.TryGetProperty("errorType", out var t) ? t.GetString() : "?";
        var error = root.TryGetProperty("error", out var e) ? e.GetString() : body;
        document.Dispose();
        throw new InvalidOperationException($"{what} failed ({(int)response.StatusCode}, {type}): {error}");
    }

    public string RecentLog() => _process.RecentLog();

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
    }

    public override string ToString() => $"prometheus at {Url}";
}
