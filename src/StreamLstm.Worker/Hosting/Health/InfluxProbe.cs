using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamLstm.Sink;

namespace StreamLstm.Worker.Hosting.Health;

/// <summary>
/// Asks InfluxDB's <c>/ping</c> every <see cref="Interval"/>, so readiness follows InfluxDB's availability within
/// seconds also while no ticks flow (the writer only finds out when it has points to write). Does nothing without
/// <c>Influx:Url</c>.
/// </summary>
public sealed class InfluxProbe(IOptions<InfluxOptions> influx, TimeProvider time) : BackgroundService
{
    /// <summary>Time between two pings, and the longest one may take.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private volatile Outcome? _last;

    /// <summary>The last ping's outcome; null before the first.</summary>
    public Outcome? Last => _last;

    /// <summary>What one ping found.</summary>
    /// <param name="Reachable">Whether InfluxDB answered 2xx.</param>
    /// <param name="Detail">What it answered, or why it did not.</param>
    /// <param name="AtUtc">When.</param>
    public sealed record Outcome(bool Reachable, string Detail, DateTime AtUtc);

    private readonly HttpClient _client = new() { Timeout = Interval };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(influx.Value.Url)) return;
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            await ProbeAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await Next(timer, stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One ping now; its outcome becomes <see cref="Last"/>.</summary>
    public async Task<Outcome> ProbeAsync(CancellationToken cancellationToken)
    {
        var ping = new Uri(new Uri(influx.Value.Url!.TrimEnd('/') + "/"), "ping");
        var outcome = await PingAsync(_client, ping, cancellationToken).ConfigureAwait(false);
        _last = outcome;
        return outcome;
    }

    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }

    private async Task<Outcome> PingAsync(HttpClient client, Uri ping, CancellationToken stopping)
    {
        try
        {
            using var response = await client.GetAsync(ping, stopping).ConfigureAwait(false);
            return new Outcome(response.IsSuccessStatusCode, $"/ping answered {(int)response.StatusCode} {response.ReasonPhrase}", time.GetUtcNow().UtcDateTime);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stopping.IsCancellationRequested)
        {
            return new Outcome(false, ex is TaskCanceledException ? $"/ping did not answer within {Interval.TotalSeconds:F0} s" : $"/ping failed: {ex.Message}",
                time.GetUtcNow().UtcDateTime);
        }
    }

    private static async Task<bool> Next(PeriodicTimer timer, CancellationToken stopping)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
