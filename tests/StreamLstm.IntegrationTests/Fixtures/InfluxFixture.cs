using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using InfluxDB.Client;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>
/// A real InfluxDB behind a test front (<see cref="Url"/>) that can be stopped, started and told to fail writes.
/// With a Docker engine: the <c>influxdb:2</c> image set up with <see cref="Org"/>, <see cref="Bucket"/> and
/// <see cref="Token"/>. Without one: a local influxd 1.x whose front translates the 2.x write API
/// (the product writes with InfluxDB.Client, which only speaks 2.x).
/// </summary>
public sealed class InfluxFixture : IAsyncLifetime
{
    public const string DockerBackend = "testcontainers-influxdb2";
    public const string DockerImage = "influxdb:2.7";
    private const int InfluxPort = 8086;

    private static readonly TimeSpan LocalStartTimeout = TimeSpan.FromSeconds(30);

    // Pulling the image on a cold machine takes longer than starting a local process.
    private static readonly TimeSpan DockerStartTimeout = TimeSpan.FromMinutes(3);

    private readonly Func<bool> _useDocker;
    private readonly Func<string?> _findInfluxd;
    private InfluxdServer? _influxd;
    private IContainer? _container;
    private InfluxForwarder? _front;
    private HttpClient? _http;
    private string? _orgId;

    public InfluxFixture()
        : this(BackendChoice.UseDocker, InfluxdServer.FindExecutable)
    {
    }

    /// <summary>For tests of the fixture itself: how the backend is chosen and where influxd is looked for.</summary>
    internal InfluxFixture(Func<bool> useDocker, Func<string?> findInfluxd)
    {
        _useDocker = useDocker;
        _findInfluxd = findInfluxd;
    }

    public string Org { get; } = "streamlstm";

    public string Token { get; } = "streamlstm-integration-token";

    /// <summary>The bucket created at start-up; tests that must not see each other's points use <see cref="NewBucketAsync"/>.</summary>
    public string Bucket { get; } = "streamlstm";

    /// <summary><see cref="DockerBackend"/>, or <c>influxd-&lt;version&gt;+forwarder</c> (here: <c>influxd-1.6.7+forwarder</c>).</summary>
    public string Backend { get; private set; } = "not started";

    /// <summary>The front: what the product under test is given as <c>Influx:Url</c>.</summary>
    public string Url => Front.Url.ToString().TrimEnd('/');

    /// <summary>The server itself, bypassing the front (it keeps answering while the front is stopped or failing).</summary>
    public Uri UpstreamUrl { get; private set; } = new("http://127.0.0.1");

    public bool FrontIsRunning => Front.IsRunning;

    /// <summary>Writes the front has passed on and the server accepted.</summary>
    public long WritesForwarded => Front.WritesForwarded;

    /// <summary>Writes the front answered with an injected failure.</summary>
    public long WritesFailed => Front.WritesFailed;

    /// <summary>Bytes of write bodies the front received, as sent (gzip-compressed ones compressed).</summary>
    public long WriteBytes => Front.WriteBytes;

    private InfluxForwarder Front => _front ?? throw new InvalidOperationException("The InfluxDB fixture is not started.");

    private HttpClient Http => _http ?? throw new InvalidOperationException("The InfluxDB fixture is not started.");

    public async Task InitializeAsync()
    {
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            if (_useDocker())
            {
                await StartContainerAsync().ConfigureAwait(false);
            }
            else
            {
                await StartInfluxdAsync().ConfigureAwait(false);
            }

            await Front.StartAsync().ConfigureAwait(false);
            await CreateBucketAsync(Bucket, mustBeNew: false).ConfigureAwait(false);
        }
        catch
        {
            // Whatever did start (influxd, a container) must not outlive a failed start-up.
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartInfluxdAsync()
    {
        var executable = _findInfluxd() ?? throw new InvalidOperationException(
            "The InfluxDB integration tests need a real InfluxDB: no Docker engine was found (DOCKER_HOST unset, no engine " +
            "socket answering) and influxd is not on PATH. Install it with 'apt-get install -y influxdb' (Debian/Ubuntu; " +
            $"or set {InfluxdServer.ExecutableVariable} to an influxd 1.x binary), or start a Docker engine.");
        _influxd = await InfluxdServer.StartAsync(executable, LocalStartTimeout, CancellationToken.None).ConfigureAwait(false);
        UpstreamUrl = _influxd.Url;
        Backend = $"influxd-{_influxd.Version.Split('~')[0]}+forwarder";
        _front = new InfluxForwarder(UpstreamUrl, translateV2Writes: true);
    }

    private async Task StartContainerAsync()
    {
        _container = new ContainerBuilder(DockerImage)
            .WithPortBinding(InfluxPort, assignRandomHostPort: true)
            .WithEnvironment("DOCKER_INFLUXDB_INIT_MODE", "setup")
            .WithEnvironment("DOCKER_INFLUXDB_INIT_USERNAME", "streamlstm")
            .WithEnvironment("DOCKER_INFLUXDB_INIT_PASSWORD", "streamlstm-integration-password")
            .WithEnvironment("DOCKER_INFLUXDB_INIT_ORG", Org)
            .WithEnvironment("DOCKER_INFLUXDB_INIT_BUCKET", Bucket)
            .WithEnvironment("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", Token)
            // The image's entrypoint runs the setup on a temporary server, then starts the real one on 8086.
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(InfluxPort).ForPath("/health")))
            .Build();
        using var timeout = new CancellationTokenSource(DockerStartTimeout);
        try
        {
            await _container.StartAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"The {DockerImage} container did not become healthy within {DockerStartTimeout.TotalMinutes} min.");
        }

        UpstreamUrl = new Uri($"http://{_container.Hostname}:{_container.GetMappedPublicPort(InfluxPort)}");
        Backend = DockerBackend;
        _front = new InfluxForwarder(UpstreamUrl, translateV2Writes: false);
    }

    /// <summary>A new, empty bucket (a database on influxd) with a unique name, ready for writes and queries.</summary>
    public async Task<string> NewBucketAsync()
    {
        var name = $"it_{Guid.NewGuid():N}";
        await CreateBucketAsync(name, mustBeNew: true).ConfigureAwait(false);
        return name;
    }

    private async Task CreateBucketAsync(string name, bool mustBeNew)
    {
        if (_container is null)
        {
            await Front.EnsureDatabaseAsync(name).ConfigureAwait(false);
            return;
        }

        if (!mustBeNew)
        {
            return; // The image's setup created the initial bucket.
        }

        using var client = CreateUpstreamClient();
        _orgId ??= (await client.GetOrganizationsApi().FindOrganizationsAsync(org: Org).ConfigureAwait(false)).Single().Id;
        await client.GetBucketsApi().CreateBucketAsync(name, _orgId).ConfigureAwait(false);
    }

    /// <summary>An InfluxDB.Client pointed at the front, as the product would be configured.</summary>
    public InfluxDBClient CreateClient() => new(new InfluxDBClientOptions(Url) { Token = Token, Org = Org, Bucket = Bucket });

    private InfluxDBClient CreateUpstreamClient() =>
        new(new InfluxDBClientOptions(UpstreamUrl.ToString()) { Token = Token, Org = Org, Bucket = Bucket });

    /// <summary>Points of <paramref name="measurement"/> (its <c>value</c> field) in <paramref name="bucket"/>, optionally only those matching an InfluxQL <paramref name="where"/>.</summary>
    public async Task<long> CountAsync(string bucket, string measurement, string? where = null) =>
        (await QueryAsync(bucket, $"SELECT count(\"value\") FROM \"{measurement}\"{(where is null ? "" : " WHERE " + where)}").ConfigureAwait(false))
            .Select(r => Convert.ToInt64(r["count"], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Sum();

    /// <summary>
    /// Runs InfluxQL against a bucket, straight on the server (not through the front), and returns every row of every
    /// series with times in epoch nanoseconds. InfluxDB 2 answers this on its 1.x-compatible /query endpoint, where
    /// each bucket is reachable as a database of the same name.
    /// </summary>
    public async Task<IReadOnlyList<InfluxRow>> QueryAsync(string bucket, string influxQL, CancellationToken cancellationToken = default)
    {
        var query = $"/query?db={Uri.EscapeDataString(bucket)}&epoch=ns&q={Uri.EscapeDataString(influxQL)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(UpstreamUrl, query));
        if (_container is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Token", Token);
        }

        using var response = await Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"InfluxQL '{influxQL}' on '{bucket}' failed: {(int)response.StatusCode} {body}");
        }

        using var document = JsonDocument.Parse(body);
        var rows = new List<InfluxRow>();
        foreach (var result in document.RootElement.GetProperty("results").EnumerateArray())
        {
            if (result.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"InfluxQL '{influxQL}' on '{bucket}' failed: {error.GetString()}");
            }

            if (!result.TryGetProperty("series", out var seriesList))
            {
                continue;
            }

            foreach (var series in seriesList.EnumerateArray())
            {
                var name = series.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
                var tags = series.TryGetProperty("tags", out var t)
                    ? t.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
                    : new Dictionary<string, string>();
                var columns = series.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
                foreach (var values in series.GetProperty("values").EnumerateArray())
                {
                    var row = new Dictionary<string, object?>(columns.Length);
                    var i = 0;
                    foreach (var value in values.EnumerateArray())
                    {
                        row[columns[i++]] = InfluxRow.Scalar(value);
                    }

                    rows.Add(new InfluxRow(name, tags, row));
                }
            }
        }

        return rows;
    }

    /// <summary>Stops the front: connections to <see cref="Url"/> are refused until <see cref="StartAsync"/>.</summary>
    public Task StopAsync() => Front.StopAsync();

    /// <summary>Starts the front again on the same port.</summary>
    public Task StartAsync() => Front.StartAsync();

    /// <summary>
    /// The front answers writes with <paramref name="status"/> and a 2.x-style error body carrying
    /// <paramref name="message"/>: the next <paramref name="count"/> writes, or every write until the returned handle is
    /// disposed (or <see cref="ClearFailures"/>) when count is null. With <paramref name="abovePoints"/>, only writes of
    /// more points (lines) than that fail, e.g. a 413 for requests over a size; the others reach the server. Pings and
    /// queries are unaffected.
    /// </summary>
    public IDisposable FailWrites(HttpStatusCode status, string message = "injected by the test", int? count = null, int? abovePoints = null)
    {
        Front.FailWrites(status, message, count, abovePoints);
        return new ClearOnDispose(Front);
    }

    public void ClearFailures() => Front.ClearFailures();

    public async Task DisposeAsync()
    {
        if (_front is not null)
        {
            await _front.DisposeAsync().ConfigureAwait(false);
        }

        if (_influxd is not null)
        {
            await _influxd.DisposeAsync().ConfigureAwait(false);
        }

        if (_container is not null)
        {
            await _container.DisposeAsync().ConfigureAwait(false);
        }

        _http?.Dispose();
    }

    private sealed class ClearOnDispose(InfluxForwarder front) : IDisposable
    {
        public void Dispose() => front.ClearFailures();
    }
}
