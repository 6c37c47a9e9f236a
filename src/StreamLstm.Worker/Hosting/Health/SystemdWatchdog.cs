using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace StreamLstm.Worker.Hosting.Health;

/// <summary>
/// Under systemd with <c>WatchdogSec=</c> (systemd sets <c>WATCHDOG_USEC</c>), sends <c>WATCHDOG=1</c> at half that
/// interval while the liveness checks pass, so systemd restarts a worker that hangs. Does nothing otherwise.
/// </summary>
public sealed class SystemdWatchdog(HealthCheckService health, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService(typeof(ISystemdNotifier)) is not ISystemdNotifier { IsEnabled: true } notifier) return;
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out long usec) || usec <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMicroseconds(usec / 2.0));
        try
        {
            do
            {
                var live = await health.CheckHealthAsync(c => c.Tags.Contains(ReadinessPublisher.LiveTag), stoppingToken).ConfigureAwait(false);
                if (live.Status == HealthStatus.Healthy) notifier.Notify(new ServiceState("WATCHDOG=1"));
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
