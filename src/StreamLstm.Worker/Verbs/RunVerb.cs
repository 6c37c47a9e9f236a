using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamLstm.Worker.Hosting;

namespace StreamLstm.Worker.Verbs;

/// <summary><c>run</c> (also: no verb): the hosted worker service, in the foreground, under systemd or as a Windows service.</summary>
public static class RunVerb
{
    public static Command Create()
    {
        var command = CommandLine.Verb("run",
            "Run the worker service: Kafka in, stateful LSTM per symbol, InfluxDB out. Kafka:BootstrapServers is required " +
            "(e.g. --Kafka:BootstrapServers=localhost:9092); without Influx:Url the points go to forecasts.lp in the working " +
            "directory. Every setting can be given as --Section:Key=value, in appsettings.json or as an environment variable " +
            "(Kafka__BootstrapServers). Runs in the foreground, under systemd or as a Windows service; stop with Ctrl+C.");
        command.SetAction(parse => Run(parse.UnmatchedTokens));
        return command;
    }

    /// <summary>Runs the host with <c>--Section:Key=value</c> settings; returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> settings)
    {
        VerbConfiguration.CheckSettingTokens(settings);
        var hostSettings = new HostApplicationBuilderSettings { Args = settings.ToArray(), ContentRootPath = AppContext.BaseDirectory };
        var plain = Host.CreateApplicationBuilder(hostSettings);
        // Before anything is built or connected: every source (appsettings, environment, arguments) is merged here.
        VerbConfiguration.CheckKnownSettings(plain.Configuration);
        var url = plain.Configuration.GetSection("Http")["Url"] ?? HttpOptions.DefaultUrl;
        if (HttpOptions.Problem(url) is { } problem) throw new CliException($"invalid configuration: {problem}");
        try
        {
            _ = ActivitySummary.Interval(plain.Configuration["Logging:SummaryInterval"]);
        }
        catch (InvalidOperationException ex)
        {
            throw new CliException(ex.Message);
        }
        IHost host;
        if (string.IsNullOrWhiteSpace(url))
        {
            plain.AddStreamLstmWorker();
            host = plain.Build();
        }
        else
        {
            // The same configuration sources, with Kestrel serving /metrics and /health on Http:Url.
            var web = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = hostSettings.Args, ContentRootPath = hostSettings.ContentRootPath });
            web.WebHost.UseUrls(url);
            web.AddStreamLstmWorker(serveHttp: true);
            host = web.Build().MapStreamLstmEndpoints();
        }
        using (host)
        {
            try
            {
                // Settings first (each .Value validates), so a bad one is one line naming its key. An empty model store is
                // not an error: the worker serves naive forecasts and trains its first model (cold start).
                foreach (var (_, options) in WorkerServices.OptionsTypes)
                    _ = ((IOptions<object>)host.Services.GetRequiredService(typeof(IOptions<>).MakeGenericType(options))).Value;
                if (url.Length > 0 && HttpOptions.PortProblem(url) is { } taken) throw new CliException(taken);
                host.Run();
            }
            catch (OptionsValidationException ex)
            {
                throw new CliException($"invalid configuration: {ex.Failures.First()}");
            }
            catch (IOException ex) when (url.Length > 0 && ex.InnerException is System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                throw new CliException($"Http:Url {url}: {ex.Message}");
            }
        }
        return Environment.ExitCode;
    }
}
