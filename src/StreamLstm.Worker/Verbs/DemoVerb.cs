using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamLstm.Worker.Hosting;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using StreamLstm.Evaluation;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Ticks;
using StreamLstm.Telemetry;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>demo [--seconds N] [--out DIR]</c>: the whole pipeline with no outside service. An in-process Kafka cluster is
/// started, the bundled sample is replayed into it, and the worker's own pipeline consumes it; points go to InfluxDB
/// when <c>Influx:Url</c> is set, else to <c>DIR/forecasts.lp</c>. A model is trained on the first 70% of each symbol
/// first (into <c>DIR/model</c>). With <c>--seconds</c> everything, training included, ends within N seconds.
/// </summary>
public static class DemoVerb
{
    internal const string SampleResource = "StreamLstm.Worker.Samples.daily_fx_sp500.csv";

    public static Command Create()
    {
        var seconds = new Option<int?>("--seconds") { Description = "stop by itself within N seconds (at least 10) and print a one-line summary", HelpName = "N" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "folder for the model store and forecasts.lp (default: ./demo-output)" };
        var command = CommandLine.Verb("demo", "Run the whole pipeline on the bundled sample: in-process Kafka, the worker, forecasts to a file or InfluxDB.");
        command.Options.Add(seconds);
        command.Options.Add(output);
        command.SetAction(parse => Run(parse.GetValue(seconds), parse.GetValue(output)?.FullName, parse.UnmatchedTokens));
        return command;
    }

    private static int Run(int? seconds, string? outDir, IReadOnlyList<string> settings)
    {
        var clock = Stopwatch.StartNew();
        if (seconds is < 10) throw new CliException($"--seconds must be at least 10, got {seconds}");
        var configuration = VerbConfiguration.Build(settings);
        var modelSettings = VerbConfiguration.Model(configuration);
        var training = VerbConfiguration.Training(configuration, null);
        var serving = VerbConfiguration.Serving(configuration);
        var tickRules = VerbConfiguration.Ticks(configuration);
        var influx = new InfluxOptions();
        configuration.GetSection("Influx").Bind(influx);
        if (seconds is { } s) training = training with { MaxDuration = TimeSpan.FromSeconds(s * 0.35) };
        outDir ??= Path.GetFullPath("demo-output");
        Directory.CreateDirectory(outDir);

        var ticks = LoadSample(tickRules);
        int symbols = ticks.Select(t => t.Symbol).Distinct().Count();
        Console.WriteLine($"demo: {ticks.Count} ticks of {symbols} symbols (bundled sample); output in {outDir}");
        var trained = TrainVerb.TrainWithProgress(modelSettings, training, Backtester.TrainingSeries(ticks, 0.7, modelSettings.Warmup));
        using var model = TrainVerb.Keep(trained, ticks, "bundled sample", Path.Combine(outDir, "model"));

        using var cluster = new InProcessKafkaCluster();
        var kafka = new KafkaOptions { BootstrapServers = cluster.BootstrapServers, Topic = "ticks", GroupId = "streamlstm-demo" };
        Console.WriteLine($"in-process Kafka at {cluster.BootstrapServers}; replaying into topic '{kafka.Topic}'");
        long published = TickPublisher.Publish(ticks, cluster.BootstrapServers, kafka.Topic, rate: null);

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var counters = new PipelineCounters();
        var linePath = Path.Combine(outDir, "forecasts.lp");
        if (string.IsNullOrWhiteSpace(influx.Url) && File.Exists(linePath)) File.Delete(linePath);
        var sink = PointSinks.For(influx, linePath, counters, loggers.CreateLogger<InfluxPointSink>());
        var pipeline = new StreamingPipeline(kafka, model, serving, sink, loggers.CreateLogger<StreamingPipeline>(), counters) { Ticks = tickRules };
        using var endpoint = Endpoint(configuration["Http:Url"], counters, kafka, influx);

        using var stop = new CancellationTokenSource();
        var deadline = seconds is { } limit ? TimeSpan.FromSeconds(limit - 3) : (TimeSpan?)null;
        var running = pipeline.RunAsync(stop.Token, TimeSpan.FromSeconds(2));
        var streamClock = Stopwatch.StartNew();
        long lastTicks = 0;
        while (!running.IsCompleted)
        {
            running.Wait(TimeSpan.FromSeconds(1));
            long done = counters.Ticks + counters.DeadLettered;
            var score = pipeline.LiveScore;
            Console.WriteLine($"  {counters.Ticks - lastTicks,7} ticks/s | {counters.Ticks,7} ticks | {pipeline.Symbols} symbols | {counters.Forecasts,7} forecasts | {counters.PointsWritten,8} points written | rel_mae {Format(score?.RelMae)} vs naive");
            lastTicks = counters.Ticks;
            if (done >= published || (deadline is { } d && clock.Elapsed >= d)) stop.Cancel();
        }
        running.GetAwaiter().GetResult();
        var elapsed = streamClock.Elapsed.TotalSeconds;
        var destination = PointSinks.Destination(influx, linePath);
        Console.WriteLine($"demo done in {clock.Elapsed.TotalSeconds:F1}s: {counters.Ticks}/{published} ticks through Kafka in {elapsed:F1}s, " +
            $"{symbols} symbols, {counters.Forecasts} forecasts, {counters.PointsWritten} points to {destination}, " +
            $"served rel_mae {Format(pipeline.LiveScore?.RelMae)} coverage80 {pipeline.LiveScore?.Coverage80:F3} (h=1, model {model.Id})");
        Console.WriteLine(Served(counters.ForecastsByModel, model.Id));

        // The model was trained on the first 70% of each symbol: the rest, walked forward through the same per-tick path,
        // is an honest check against the naive and GARCH(1,1) bands, with the backtest's charts.
        var check = Backtester.Run(ticks, model, horizon: 1, trainFraction: 0.7, serving);
        var charts = BacktestCharts.Write(check, Path.Combine(outDir, "charts"));
        Console.WriteLine($"on the last 30% of each symbol (not trained on): interval score {check.Overall.IntervalScore:G4}, naive's {check.Naive.IntervalScore:G4} " +
            $"(ratio {Format(check.IntervalScoreVsNaive)}), GARCH's {check.Garch.IntervalScore:G4} (ratio {Format(check.IntervalScoreVsGarch)}); " +
            $"coverage80 {check.Overall.Coverage80:F3}; {charts.Count} charts in {Path.Combine(outDir, "charts")}");
        return 0;
    }

    /// <summary>Which served the forecasts (every horizon): the model, or naive where the skill gate preferred the last price.</summary>
    internal static string Served(IReadOnlyDictionary<string, long> byModel, string model)
    {
        long total = byModel.Values.Sum(), naive = byModel.GetValueOrDefault(ForecastTracker.NaiveTag);
        if (total == 0) return "served: no forecasts";
        return $"served: {model} {total - naive:N0} forecasts ({(double)(total - naive) / total:P0}), naive (the last price, where the skill gate preferred it) {naive:N0} ({(double)naive / total:P0})";
    }

    /// <summary>
    /// With <c>Http:Url</c> given (and only then: a demo should not take a port unasked), <c>/metrics</c> and
    /// <c>/health/*</c> of the demo's pipeline, as the worker serves them.
    /// </summary>
    private static DemoEndpoint? Endpoint(string? url, PipelineCounters counters, KafkaOptions kafka, InfluxOptions influx)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (HttpOptions.Problem(url) is { } problem) throw new CliException($"invalid configuration: {problem}");
        if (HttpOptions.PortProblem(url) is { } taken) throw new CliException(taken);
        var web = WebApplication.CreateSlimBuilder();
        web.Logging.ClearProviders();
        web.WebHost.UseUrls(url);
        web.Services.AddSingleton(counters);
        web.Services.AddSingleton(Options.Create(kafka));
        web.Services.AddSingleton(Options.Create(influx));
        web.AddOperations(serveHttp: true, history: false);
        var app = web.Build().MapStreamLstmEndpoints();
        _ = app.Services.GetRequiredService<WorkerMetrics>();
        app.StartAsync().GetAwaiter().GetResult();
        Console.WriteLine($"metrics on {url.TrimEnd('/')}/metrics, health on /health/live and /health/ready");
        return new DemoEndpoint(app);
    }

    /// <summary>Stops the endpoint's web application when the demo ends.</summary>
    private sealed class DemoEndpoint(WebApplication app) : IDisposable
    {
        public void Dispose()
        {
            app.StopAsync().GetAwaiter().GetResult();
            ((IDisposable)app).Dispose();
        }
    }

    private static string Format(double? value) => value is { } v ? v.ToString("F4") : "n/a";

    /// <summary>The bundled sample (MIT / BSD-3 licensed daily prices, see Samples/README.md).</summary>
    public static List<Tick> LoadSample(TickSettings? rules = null)
    {
        using var stream = typeof(DemoVerb).Assembly.GetManifestResourceStream(SampleResource)
            ?? throw new InvalidOperationException($"resource {SampleResource} is missing from the build");
        using var reader = new StreamReader(stream);
        return PriceFile.Read(reader, "bundled sample", rules ?? new TickSettings());
    }
}
