using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using StreamLstm.State;
using StreamLstm.Worker.Hosting.Health;
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
    /// <param name="builder">The host's builder (a web application's when the HTTP endpoint is on).</param>
    /// <param name="serveHttp">Whether the builder serves <c>Http:Url</c>: then metrics are exported for Prometheus there.</param>
    public static IHostApplicationBuilder AddStreamLstmWorker(this IHostApplicationBuilder builder, bool serveHttp = false)
    {
        builder.Services.AddSingleton<WorkerOptionsValidator>();
        foreach (var (section, type) in OptionsTypes)
            BindMethod.MakeGenericMethod(type).Invoke(null, [builder.Services, section]);
        builder.Services.AddSingleton<PipelineCounters>();
        builder.AddOperations(serveHttp);
        builder.Services.AddSingleton(ForecastingOptionsFrom);
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<ForecastingOptions>();
            return ModelStores.Open(options.Kafka, options.ModelDirectory, sp.GetRequiredService<ILoggerFactory>());
        });
        builder.Services.AddSingleton(sp => ForecastingService.CreateHistory(sp.GetRequiredService<ForecastingOptions>(), sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton(sp => new ForecastingService(sp.GetRequiredService<ForecastingOptions>(),
            sp.GetRequiredService<IModelStore>(), sp.GetRequiredService<TickHistory>(),
            PointSinks.For(sp.GetRequiredService<IOptions<InfluxOptions>>().Value, ForecastWorker.DefaultLineFile, sp.GetRequiredService<PipelineCounters>(),
                sp.GetRequiredService<ILogger<InfluxPointSink>>(), sp.GetRequiredService<ForecastingOptions>().Kafka),
            sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<PipelineCounters>()));
        builder.Services.AddHostedService<ForecastWorker>();
        builder.Services.AddHostedService<ActivitySummary>();
        builder.Services.AddSystemd();
        builder.Services.AddWindowsService(o => o.ServiceName = "StreamLstm");
        return builder;
    }

    /// <summary>The whole worker's settings, from the bound sections (and which <c>Model:*</c> keys were given, for the baked-in warning).</summary>
    private static ForecastingOptions ForecastingOptionsFrom(IServiceProvider services)
    {
        T Value<T>() where T : class => services.GetRequiredService<IOptions<T>>().Value;
        var store = Value<ModelStoreOptions>();
        return new ForecastingOptions
        {
            Kafka = Value<KafkaOptions>(),
            ModelDirectory = store.Directory,
            FollowInterval = store.FollowInterval,
            KeepVersions = store.KeepVersions,
            SharedStore = store.Shared,
            Model = Value<ModelSettings>(),
            GivenModelKeys = SettingsCatalog.GivenKeys(services.GetRequiredService<IConfiguration>(), "Model"),
            Serving = Value<ServingSettings>(),
            Training = Value<TrainingSettings>(),
            Learning = Value<LearningSettings>(),
            History = Value<HistorySettings>(),
            Ticks = Value<TickSettings>(),
            Output = Value<OutputSettings>(),
            State = Value<StateSettings>(),
        };
    }

    /// <summary>Every options class the worker binds, with its section (from <see cref="SettingsCatalog.Owned"/>).</summary>
    public static IEnumerable<(string Section, Type Type)> OptionsTypes =>
        SettingsCatalog.Owned.SelectMany(o => o.BoundTo.Select(type => (o.Section, type)));

    private static readonly System.Reflection.MethodInfo BindMethod =
        typeof(WorkerServices).GetMethod(nameof(Bind), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;

    /// <summary>Binds <typeparamref name="T"/> to its section, validated at start by <see cref="WorkerOptionsValidator"/> with the key's name.</summary>
    private static void Bind<T>(IServiceCollection services, string section) where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(sp => (IValidateOptions<T>)(object)sp.GetRequiredService<WorkerOptionsValidator>());
    }

    /// <summary>
    /// Metrics and health over a <see cref="PipelineCounters"/> and the <c>Kafka</c>, <c>Influx</c> and <c>History</c>
    /// options the container has: what <see cref="MapStreamLstmEndpoints"/> serves. <c>demo</c> uses it on its own worker too.
    /// </summary>
    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder, bool serveHttp)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        AddTelemetry(builder, serveHttp);
        AddHealth(builder.Services);
        return builder;
    }

    /// <summary>
    /// The worker's meter, exported by the OpenTelemetry SDK: for Prometheus on the HTTP endpoint, and over OTLP when
    /// the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// </summary>
    private static void AddTelemetry(IHostApplicationBuilder builder, bool serveHttp)
    {
        builder.Services.AddSingleton(sp => new WorkerMetrics(sp.GetRequiredService<IMeterFactory>().Create(WorkerMetrics.MeterName), sp.GetRequiredService<PipelineCounters>()));
        bool otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!serveHttp && !otlp)
        {
            builder.Services.AddMetrics();
            return;
        }
        builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("streamlstm")).WithMetrics(metrics =>
        {
            metrics.AddMeter(WorkerMetrics.MeterName);
            if (serveHttp) metrics.AddPrometheusExporter();
            if (otlp) metrics.AddOtlpExporter();
        });
    }

    /// <summary>Liveness and readiness checks, re-evaluated every few seconds for the <c>streamlstm_ready</c> gauge and the systemd watchdog.</summary>
    private static void AddHealth(IServiceCollection services)
    {
        services.AddSingleton<InfluxProbe>();
        services.AddHostedService(sp => sp.GetRequiredService<InfluxProbe>());
        // Singletons: the history check remembers its last probe.
        services.AddSingleton<ForecastLoopHealthCheck>();
        services.AddSingleton<KafkaHealthCheck>();
        services.AddSingleton<InfluxHealthCheck>();
        services.AddSingleton<ModelHealthCheck>();
        services.AddSingleton<HistoryHealthCheck>();
        services.AddHealthChecks()
            .AddCheck<ForecastLoopHealthCheck>("forecast_loop", tags: [ReadinessPublisher.LiveTag])
            .AddCheck<KafkaHealthCheck>("kafka", tags: [ReadinessPublisher.ReadyTag])
            .AddCheck<InfluxHealthCheck>("influxdb", tags: [ReadinessPublisher.ReadyTag])
            .AddCheck<ModelHealthCheck>("model", tags: [ReadinessPublisher.ReadyTag])
            .AddCheck<HistoryHealthCheck>("history", tags: [ReadinessPublisher.ReadyTag]);
        services.Configure<HealthCheckPublisherOptions>(o =>
        {
            o.Delay = TimeSpan.FromSeconds(1);
            o.Period = TimeSpan.FromSeconds(2);
        });
        services.AddSingleton<IHealthCheckPublisher, ReadinessPublisher>();
        services.AddHostedService<SystemdWatchdog>();
    }

    /// <summary>Serves <c>/metrics</c> (Prometheus text format), <c>/health/live</c> and <c>/health/ready</c> (200 or 503, JSON).</summary>
    public static WebApplication MapStreamLstmEndpoints(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ReadinessPublisher.LiveTag),
            ResponseWriter = HealthResponse.WriteAsync,
        });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ReadinessPublisher.ReadyTag),
            ResponseWriter = HealthResponse.WriteAsync,
        });
        return app;
    }
}
