using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Ticks;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Hosting;

/// <summary>All of the worker's wiring.</summary>
public static class WorkerServices
{
    public static IHostApplicationBuilder AddStreamLstmWorker(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KafkaOptions>().BindConfiguration("Kafka").ValidateOnStart();
        builder.Services.AddOptions<InfluxOptions>().BindConfiguration("Influx").ValidateOnStart();
        builder.Services.AddOptions<ModelStoreOptions>().BindConfiguration("Model").ValidateOnStart();
        builder.Services.AddOptions<ServingSettings>().BindConfiguration("Serving").ValidateOnStart();
        builder.Services.AddOptions<ModelSettings>().BindConfiguration("Model").ValidateOnStart();
        builder.Services.AddOptions<TrainingSettings>().BindConfiguration("Training").ValidateOnStart();
        builder.Services.AddOptions<LearningSettings>().BindConfiguration("Learning").ValidateOnStart();
        builder.Services.AddOptions<HistorySettings>().BindConfiguration("History").ValidateOnStart();
        builder.Services.AddOptions<TickSettings>().BindConfiguration("Ticks").ValidateOnStart();
        builder.Services.AddSingleton<WorkerOptionsValidator>();
        builder.Services.AddSingleton<IValidateOptions<KafkaOptions>>(sp => sp.GetRequiredService<WorkerOptionsValidator>());
        builder.Services.AddSingleton<IValidateOptions<InfluxOptions>>(sp => sp.GetRequiredService<WorkerOptionsValidator>());
        builder.Services.AddSingleton<IValidateOptions<ModelStoreOptions>>(sp => sp.GetRequiredService<WorkerOptionsValidator>());
        builder.Services.AddSingleton<IValidateOptions<ServingSettings>>(sp => sp.GetRequiredService<WorkerOptionsValidator>());
        builder.Services.AddSingleton<IValidateOptions<ModelSettings>>(sp => sp.GetRequiredService<WorkerOptionsValidator>());
        builder.Services.AddSingleton<IValidateOptions<TrainingSettings>>(sp => sp.GetRequiredService<WorkerOptionsValidator>());
        builder.Services.AddSingleton<IValidateOptions<LearningSettings>>(sp => sp.GetRequiredService<WorkerOptionsValidator>());
        builder.Services.AddSingleton<IValidateOptions<HistorySettings>>(sp => sp.GetRequiredService<WorkerOptionsValidator>());
        builder.Services.AddSingleton<IValidateOptions<TickSettings>>(sp => sp.GetRequiredService<WorkerOptionsValidator>());
        builder.Services.AddSingleton<PipelineCounters>();
        builder.Services.AddHostedService<ForecastWorker>();
        builder.Services.AddSystemd();
        builder.Services.AddWindowsService(o => o.ServiceName = "StreamLstm");
        return builder;
    }
}
