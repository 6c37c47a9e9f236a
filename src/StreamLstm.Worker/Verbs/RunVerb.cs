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
        // Before anything is built or connected: every source (appsettings, environment, arguments) is merged here.
        VerbConfiguration.CheckKnownSettings(builder.Configuration);
        builder.AddStreamLstmWorker();
        using var host = builder.Build();
        try
        {
            // Settings first (each .Value validates), so a bad one is one line naming its key. An empty model store is
            // not an error: the worker serves naive forecasts and trains its first model (cold start).
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Ingest.KafkaOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Sink.InfluxOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Inference.ServingSettings>>().Value;
            _ = host.Services.GetRequiredService<IOptions<ModelStoreOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Model.ModelSettings>>().Value;
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Learning.TrainingSettings>>().Value;
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Learning.LearningSettings>>().Value;
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Learning.HistorySettings>>().Value;
            _ = host.Services.GetRequiredService<IOptions<StreamLstm.Ticks.TickSettings>>().Value;
            host.Run();
        }
        catch (OptionsValidationException ex)
        {
            throw new CliException($"invalid configuration: {ex.Failures.First()}");
        }
        return Environment.ExitCode;
    }
}
