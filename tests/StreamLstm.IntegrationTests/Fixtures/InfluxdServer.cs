using System.Net;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>
/// A real influxd (InfluxDB 1.x, Debian's <c>influxdb</c> package) run from a generated config: its meta, data and
/// WAL in a temporary directory, HTTP and RPC bound to free loopback ports, reporting and the query log off.
/// </summary>
internal sealed class InfluxdServer : IAsyncDisposable
{
    public const string ExecutableVariable = "STREAMLSTM_INFLUXD";

    private readonly ServerProcess _process;

    private InfluxdServer(ServerProcess process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>The version influxd reports on /ping, e.g. <c>1.6.7~rc0</c>.</summary>
    public string Version { get; private set; } = "unknown";

    /// <summary>The influxd executable: <c>$STREAMLSTM_INFLUXD</c>, else the first <c>influxd</c> on PATH, else null.</summary>
    public static string? FindExecutable() => ServerProcess.FindExecutable(ExecutableVariable, "influxd");

    public static Task<InfluxdServer> StartAsync(string executable, TimeSpan timeout, CancellationToken cancellationToken) =>
        ServerProcess.StartWithRetriesAsync(() => Launch(executable), s => s._process, s => s.WaitUntilReadyAsync(timeout, cancellationToken));

    private static InfluxdServer Launch(string executable)
    {
        var directory = ServerProcess.NewDirectory("influxd");
        var httpPort = FreePort.Pick();
        var rpcPort = FreePort.Pick();
        var configPath = Path.Combine(directory, "influxdb.conf");
        File.WriteAllText(configPath, Config(directory, httpPort, rpcPort));
        var process = ServerProcess.Start("influxd", executable, ["-config", configPath], directory);
        return new InfluxdServer(process, new Uri($"http://127.0.0.1:{httpPort}"));
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
        await _process.WaitUntilReadyAsync(
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
            cancellationToken).ConfigureAwait(false);
    }

    public string RecentLog() => _process.RecentLog();

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    public override string ToString() => $"influxd {Version} at {Url}";
}
