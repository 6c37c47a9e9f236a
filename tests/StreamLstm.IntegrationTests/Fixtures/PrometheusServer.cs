using System.Diagnostics;
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

    private const int LogLinesKept = 60;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _directory;
    private readonly Queue<string> _log = new();
    private readonly HttpClient _http;
    private int _disposed;

    private PrometheusServer(Process process, string directory, Uri url)
    {
        _process = process;
        _directory = directory;
        Url = url;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Url { get; }

    /// <summary>The prometheus executable: <c>$STREAMLSTM_PROMETHEUS</c>, else the first <c>prometheus</c> on PATH, else null.</summary>
    public static string? FindExecutable()
    {
        var configured = Environment.GetEnvironmentVariable(ExecutableVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{ExecutableVariable}='{configured}' does not exist.");
        }

        var name = OperatingSystem.IsWindows() ? "prometheus.exe" : "prometheus";
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

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

        // The port is free when picked but could be taken before Prometheus binds it: try again with a new one.
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var server = Launch(executable, target, ruleFiles);
            try
            {
                await server.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (Exception) when (attempt < attempts && server.LogMentions("address already in use"))
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private static PrometheusServer Launch(string executable, string target, IReadOnlyList<string> ruleFiles)
    {
        var directory = Directory.CreateTempSubdirectory("streamlstm-prometheus-").FullName;
        var port = FreePort.Pick();
        var configPath = Path.Combine(directory, "prometheus.yml");
        File.WriteAllText(configPath, Config(target, ruleFiles));

        var start = new ProcessStartInfo(executable)
        {
            ArgumentList =
            {
                $"--config.file={configPath}", $"--web.listen-address=127.0.0.1:{port}",
                $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => server.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => server.Remember(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            server._http.Dispose();
            TryDeleteDirectory(directory);
            throw new InvalidOperationException($"Could not start '{executable}': {e.Message}", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // A test run that ends without disposing the server must not leave Prometheus running.
        AppDomain.CurrentDomain.ProcessExit += server.OnProcessExit;
        return server;
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

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var exited = _process.WaitForExitAsync(stop.Token);
        var ready = Poll.UntilAsync(
            async ct =>
            {
                using var response = await _http.GetAsync("/-/ready", ct).ConfigureAwait(false);
                return response.StatusCode == HttpStatusCode.OK;
            },
            StartTimeout,
            $"prometheus answering /-/ready on {Url}",
            RecentLog,
            stop.Token);

        // A process that dies while starting (a bad rule file, a port taken) is reported at once, with its output.
        var first = await Task.WhenAny(ready, exited).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        if (first == exited && exited.IsCompletedSuccessfully)
        {
            await Task.WhenAny(ready).ConfigureAwait(false);
            throw new InvalidOperationException($"prometheus exited with code {_process.ExitCode} while starting.\n{RecentLog()}");
        }

        await Task.WhenAny(exited).ConfigureAwait(false);
        await ready.ConfigureAwait(false);
    }

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

    public string RecentLog()
    {
        lock (_log)
        {
            return _log.Count == 0 ? "(prometheus wrote nothing)" : "prometheus's last output:\n" + string.Join('\n', _log);
        }
    }

    private bool LogMentions(string text)
    {
        lock (_log)
        {
            return _log.Any(line => line.Contains(text, StringComparison.OrdinalIgnoreCase));
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > LogLinesKept)
            {
                _log.Dequeue();
            }
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Kill();

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Kill();
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Killed but not reaped in time; the directory may still be busy, which is tolerated below.
            }
            catch (InvalidOperationException)
            {
                // Never started.
            }
        }

        _process.Dispose();
        _http.Dispose();
        TryDeleteDirectory(_directory);
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory must not fail the test run.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public override string ToString() => $"prometheus at {Url}";
}
