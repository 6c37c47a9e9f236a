using System.Diagnostics;
using System.Net;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>
/// A real influxd (InfluxDB 1.x, Debian's <c>influxdb</c> package) run from a generated config: its meta, data and
/// WAL in a temporary directory, HTTP and RPC bound to free loopback ports, reporting and the query log off.
/// </summary>
internal sealed class InfluxdServer : IAsyncDisposable
{
    public const string ExecutableVariable = "STREAMLSTM_INFLUXD";
    private const int LogLinesKept = 60;

    private readonly Process _process;
    private readonly string _directory;
    private readonly Queue<string> _log = new();
    private int _disposed;

    private InfluxdServer(Process process, string directory, Uri url)
    {
        _process = process;
        _directory = directory;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>The version influxd reports on /ping, e.g. <c>1.6.7~rc0</c>.</summary>
    public string Version { get; private set; } = "unknown";

    /// <summary>The influxd executable: <c>$STREAMLSTM_INFLUXD</c>, else the first <c>influxd</c> on PATH, else null.</summary>
    public static string? FindExecutable()
    {
        var configured = Environment.GetEnvironmentVariable(ExecutableVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{ExecutableVariable}='{configured}' does not exist.");
        }

        var name = OperatingSystem.IsWindows() ? "influxd.exe" : "influxd";
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    public static async Task<InfluxdServer> StartAsync(string executable, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Ports are free when picked but could be taken before influxd binds them: try again with new ones.
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var server = Launch(executable);
            try
            {
                await server.WaitUntilReadyAsync(timeout, cancellationToken).ConfigureAwait(false);
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

    private static InfluxdServer Launch(string executable)
    {
        var directory = Directory.CreateTempSubdirectory("streamlstm-influxd-").FullName;
        var httpPort = FreePort.Pick();
        var rpcPort = FreePort.Pick();
        var configPath = Path.Combine(directory, "influxdb.conf");
        File.WriteAllText(configPath, Config(directory, httpPort, rpcPort));

        var start = new ProcessStartInfo(executable)
        {
            ArgumentList = { "-config", configPath },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new InfluxdServer(process, directory, new Uri($"http://127.0.0.1:{httpPort}"));
        process.OutputDataReceived += (_, e) => server.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => server.Remember(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e)
        {
            TryDeleteDirectory(directory);
            throw new InvalidOperationException($"Could not start '{executable}': {e.Message}", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // A test run that ends without disposing its fixtures must not leave influxd running.
        AppDomain.CurrentDomain.ProcessExit += server.OnProcessExit;
        return server;
    }

    private static string Config(string directory, int httpPort, int rpcPort)
    {
        static string Quote(string path) => "\"" + path.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        return $"""
            reporting-enabled = false
            bind-address = "127.0.0.1:{rpcPort}"

            [meta]
              dir = {Quote(Path.Combine(directory, "meta"))}

            [data]
              dir = {Quote(Path.Combine(directory, "data"))}
              wal-dir = {Quote(Path.Combine(directory, "wal"))}
              query-log-enabled = false

            [monitor]
              store-enabled = false

            [http]
              enabled = true
              bind-address = "127.0.0.1:{httpPort}"
              auth-enabled = false
              log-enabled = false

            [ifql]
              enabled = false

            [continuous_queries]
              enabled = false
            """;
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var exited = _process.WaitForExitAsync(stop.Token);
        var ready = Poll.UntilAsync(
            async ct =>
            {
                using var response = await http.GetAsync(new Uri(Url, "/ping"), ct).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.NoContent)
                {
                    return false;
                }

                Version = response.Headers.TryGetValues("X-Influxdb-Version", out var values) ? values.First() : "unknown";
                return true;
            },
            timeout,
            $"influxd answering /ping on {Url}",
            RecentLog,
            stop.Token);

        // A process that dies while starting is reported at once, not after the whole timeout.
        var first = await Task.WhenAny(ready, exited).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        if (first == exited && exited.IsCompletedSuccessfully)
        {
            await Task.WhenAny(ready).ConfigureAwait(false);
            throw new InvalidOperationException($"influxd exited with code {_process.ExitCode} while starting.\n{RecentLog()}");
        }

        await Task.WhenAny(exited).ConfigureAwait(false);
        await ready.ConfigureAwait(false);
    }

    public string RecentLog()
    {
        lock (_log)
        {
            return _log.Count == 0 ? "(influxd wrote nothing)" : "influxd's last output:\n" + string.Join('\n', _log);
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

    public override string ToString() => $"influxd {Version} at {Url}";
}
