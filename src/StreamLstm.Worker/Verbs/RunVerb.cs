using System.CommandLine;
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
        var command = CommandLine.Verb("run", "Run the worker service: Kafka in, stateful LSTM per symbol, InfluxDB out.");
        command.SetAction(parse => Run(parse.UnmatchedTokens));
        return command;
    }

    /// <summary>Runs the host with <c>--Section:Key=value</c> settings; returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> settings)
    {
        VerbConfiguration.CheckSettingTokens(settings);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = settings.ToArray(),
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddStreamLstmWorker();
        using var host = builder.Build();
        try
        {
            // Settings first (each .Value validates), then refuse to start without a model to serve, with one line
            // naming the store (the worker checks again).
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Ingest.KafkaOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Sink.InfluxOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Inference.ServingSettings>>().Value;
            var store = host.Services.GetRequiredService<IOptions<ModelStoreOptions>>().Value;
            using (new Model.ModelStore(store.Directory).LoadCurrent()) { }
            host.Run();
        }
        catch (OptionsValidationException ex)
        {
            throw new CliException($"invalid configuration: {ex.Failures.First()}");
        }
        return Environment.ExitCode;
    }
}
