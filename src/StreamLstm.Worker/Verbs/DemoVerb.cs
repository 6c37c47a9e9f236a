using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamLstm.Evaluation;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Telemetry;
using StreamLstm.Ticks;
using StreamLstm.Worker.Hosting;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>demo [--seconds N] [--out DIR]</c>: the whole worker with no outside service. An in-process Kafka cluster is
/// started and the bundled sample replayed into it, and the worker's own <see cref="ForecastingService"/> (what
/// <c>run</c> hosts: pipeline, tick history, retraining, model swaps, <c>model_event</c> points) consumes it from an
/// empty model store. Points go to InfluxDB when <c>Influx:Url</c> is set, else to <c>DIR/forecasts.lp</c>; the model
/// store and the history are <c>DIR/model</c> and <c>DIR/history</c>, started afresh on each run. Everything, any
/// training included, ends within N seconds (default 30).
/// </summary>
/// <remarks>
/// The story it tells, chosen over starting from a pre-trained model because it shows every part of the worker in one
/// training's time: at cold start naive forecasts serve; the first 70% of each symbol streams in and is kept in the
/// history; the first retrain trains on that history, judges the challenger against naive on its most recent part,
/// and promotes it (or not), writing a <c>model_event</c>; the pipeline swaps the new version in; the last 30% then
/// streams, served by it, and is scored against naive and GARCH on points no model was trained on. The rest of the
/// sample is held back until that decision, so the retrain always trains on the same ticks and every forecast is the
/// same from run to run (a live feed would not wait, and the worker does not need it to: it would train on whatever
/// the history held by then).
/// </remarks>
public static class DemoVerb
{
    internal const string SampleResource = "StreamLstm.Worker.Samples.daily_fx_sp500.csv";

    /// <summary>The share of each symbol streamed before the first retrain decides; the rest is what it never trains on.</summary>
    public const double FirstPart = 0.7;

    /// <summary>The whole run's cap without <c>--seconds</c>.</summary>
    internal const int DefaultSeconds = 30;

    private const int MinSeconds = 10;

    /// <summary>Kept for the end of the run once the stream has stopped: the held-out check and its charts.</summary>
    private static readonly TimeSpan CheckReserve = TimeSpan.FromSeconds(3);

    /// <summary>Kept for streaming the last part once the first retrain has decided.</summary>
    private static readonly TimeSpan LastPartReserve = TimeSpan.FromSeconds(3);

    public static Command Create()
    {
        var seconds = new Option<int>("--seconds")
        {
            HelpName = "N",
            Description = "stop by itself within N seconds, any training included, and print the summary (at least 10)",
            DefaultValueFactory = _ => DefaultSeconds,
        };
        var output = new Option<DirectoryInfo?>("--out")
        {
            HelpName = "DIR",
            Description = "folder for the model store (DIR/model), the tick history (DIR/history), DIR/forecasts.lp and DIR/charts; " +
                "the store and the history start afresh on each run [default: ./demo-output]",
        };
        var command = CommandLine.Verb("demo", string.Join(Environment.NewLine,
            "Run the whole worker on the bundled sample with no outside service: an in-process Kafka cluster, the sample",
            "replayed into it, and the same forecasting service as 'run' (tick history, retraining, model swaps, model_event",
            "points), from an empty model store. Naive forecasts serve at cold start while the first 70% of each symbol streams",
            "into the history; the first retrain trains on it and is promoted or rejected; a promoted model is swapped in; the",
            "last 30% is then served and scored against naive and GARCH(1,1). A line a second, one per decision and swap, and",
            "a summary: who served how many forecasts, and how well.",
            "Points go to DIR/forecasts.lp, or to InfluxDB with --Influx:Url=URL --Influx:Token=T --Influx:Org=O --Influx:Bucket=B.",
            "Settings are given as --Section:Key=value (e.g. --Training:Epochs=40, --Model:HiddenSize=32); --Http:Url=URL",
            "serves /metrics and /health while it runs."));
        command.Options.Add(seconds);
        command.Options.Add(output);
        command.SetAction(parse => Run(parse.GetValue(seconds), parse.GetValue(output)?.FullName, parse.UnmatchedTokens));
        return command;
    }

    /// <summary>
    /// The demo's own settings, under any given. Retraining looks for work four times a second and the store is followed
    /// as often, so the decision and the swap show within a second; the daily sample's years all stay in the history;
    /// <c>Learning:MinTicks</c> (the first part of the sample) is set once the sample is read. Training stops after 3
    /// epochs: the retrain then takes a few seconds even on two loaded cores (on one thread, <c>Learning:Threads</c>'s
    /// default, which a loaded machine slows least), always the same 3, so the model and every forecast are the same from
    /// run to run. On this near-random-walk sample a model trained until early stopping ends up no better than the last
    /// price on held-out history (rel_mae about 1.00: rejected); the 3-epoch one beats it slightly there (0.997) and is
    /// promoted, which shows the swap. Either decision is reported as it falls (<c>--Training:Epochs=40</c> shows a
    /// rejection). Training is cut at 40% of the run at the latest, so a very slow machine still sees a decision.
    /// </summary>
    private static Dictionary<string, string?> Defaults(int seconds) => new()
    {
        ["Learning:CheckInterval"] = "00:00:00.250",
        ["Learning:MaxTrainingTime"] = TimeSpan.FromSeconds(seconds * 0.4).ToString("c", CultureInfo.InvariantCulture),
        ["Training:Epochs"] = "3",
        ["Model:FollowInterval"] = "00:00:00.250",
        ["History:MaxAge"] = TimeSpan.FromDays(365 * 30).ToString("c", CultureInfo.InvariantCulture),
    };

    private static int Run(int seconds, string? outDir, IReadOnlyList<string> settings)
    {
        var clock = Stopwatch.StartNew();
        if (seconds < MinSeconds) throw new CliException($"--seconds must be at least {MinSeconds}, got {seconds}");
        var configuration = VerbConfiguration.Build(settings, Defaults(seconds));
        var paths = new DemoPaths(outDir ?? Path.GetFullPath("demo-output"));
        var tickRules = VerbConfiguration.Ticks(configuration);
        var ticks = LoadSample(tickRules);
        var (first, last) = Split(ticks);
        var influx = new InfluxOptions();
        configuration.GetSection("Influx").Bind(influx);
        // The brokers are known once the cluster runs, after every setting has been checked.
        var kafka = new KafkaOptions { Topic = "ticks", GroupId = "streamlstm-demo" };
        var options = WorkerOptions(configuration, kafka, paths, tickRules, first.Count);
        paths.StartAfresh(lineFile: string.IsNullOrWhiteSpace(influx.Url));
        int symbols = ticks.Select(t => t.Symbol).Distinct().Count();
        Console.WriteLine($"demo: {ticks.Count:N0} ticks of {symbols} symbols (bundled sample); output in {paths.Root}");

        using var cluster = new InProcessKafkaCluster();
        kafka.BootstrapServers = cluster.BootstrapServers;
        // The state changelog is made here, where the worker would try to make it compacted and wait for an answer
        // the mock cluster never gives; a one-run demo needs no compaction.
        foreach (var topic in new[] { kafka.Topic, kafka.StateTopicName }) cluster.CreateTopic(topic, TimeSpan.FromSeconds(10));
        // Warnings and errors only: the demo tells the steps itself. The cold-start warning is its first step.
        using var loggers = LoggerFactory.Create(b => b
            .AddSimpleConsole(o => o.SingleLine = true)
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter(typeof(ForecastingService).FullName, LogLevel.Error));
        var counters = new PipelineCounters();
        using var service = new ForecastingService(options,
            PointSinks.For(influx, paths.Lines, counters, loggers.CreateLogger<InfluxPointSink>(), kafka), loggers, counters);
        using var endpoint = Endpoint(configuration["Http:Url"], counters, options, influx);
        Console.WriteLine($"in-process Kafka at {cluster.BootstrapServers}: the worker consumes topic '{kafka.Topic}' in group '{kafka.GroupId}'");
        Console.WriteLine(service.Retraining is null
            ? $"cold start: the model store {paths.Model} is empty and Learning:Enabled is false: naive forecasts (the last price) serve throughout"
            : $"cold start: the model store {paths.Model} is empty, so naive forecasts (the last price) serve; the first {DemoReport.Percent(FirstPart)} of each symbol " +
              $"({first.Count:N0} ticks) streams into the tick history, the first model is trained once the history holds " +
              (options.Learning.MinTicks == first.Count ? "it all" : $"{options.Learning.MinTicks:N0} ticks (Learning:MinTicks)") +
              ", and the rest is replayed after that model's decision");

        var (published, atSplit) = Stream(service, counters, cluster.BootstrapServers, first, last, clock, TimeSpan.FromSeconds(seconds) - CheckReserve);
        var atEnd = new DemoPhase(ScoreSums.Of(service.Pipeline.LiveScore), counters.ForecastsByModel);
        Console.WriteLine(DemoReport.Served(atSplit.ByModel, atEnd.ByModel, FirstPart));

        // No model was trained on the last part: walked forward through the same per-tick path from each symbol's first
        // tick, it is scored against the naive and GARCH(1,1) bands on exactly the points served after the decision.
        using var store = new ModelStore(paths.Model);
        using var model = store.CurrentVersion is null or NaiveModel.Id ? NaiveModel.Create(options.Model) : store.LoadCurrent();
        var check = Backtester.Run(ticks, model, horizon: 1, trainFraction: FirstPart, options.Serving);
        var charts = BacktestCharts.Write(check, paths.Charts);
        Console.WriteLine(DemoReport.LastPart(atEnd.Score.Since(atSplit.Score), check, FirstPart));
        Console.WriteLine(DemoReport.Check(check, charts.Count, paths.Charts));

        Console.WriteLine($"demo done in {clock.Elapsed.TotalSeconds:F1}s: {counters.Ticks:N0}/{published:N0} ticks through Kafka, {symbols} symbols, " +
            $"{counters.Forecasts:N0} ticks forecast at {options.Model.Horizons} horizons, {DemoReport.Retrains(service.Retraining?.Outcomes ?? [])}, " +
            $"model_event points: {counters.ModelEvents}, {counters.PointsWritten:N0} points in all to {PointSinks.Destination(influx, paths.Lines, kafka)}");
        return 0;
    }

    /// <summary>The whole worker's settings: the configuration's (over the demo's defaults), on the demo's feed, store and history.</summary>
    private static ForecastingOptions WorkerOptions(IConfiguration configuration, KafkaOptions kafka, DemoPaths paths, TickSettings tickRules, int firstPart)
    {
        var learning = VerbConfiguration.Learning(configuration);
        return new ForecastingOptions
        {
            Kafka = kafka,
            ModelDirectory = paths.Model,
            FollowInterval = VerbConfiguration.FollowInterval(configuration),
            KeepVersions = VerbConfiguration.KeepVersions(configuration),
            Model = VerbConfiguration.Model(configuration),
            GivenModelKeys = SettingsCatalog.GivenKeys(configuration, "Model"),
            Serving = VerbConfiguration.Serving(configuration),
            Training = VerbConfiguration.Training(configuration, null),
            // The first model waits for the whole first part, so it always trains on the same ticks.
            Learning = configuration["Learning:MinTicks"] is null ? learning with { MinTicks = firstPart } : learning,
            History = VerbConfiguration.History(configuration) with { Directory = paths.History },
            Ticks = tickRules,
            Output = VerbConfiguration.Output(configuration),
            State = VerbConfiguration.State(configuration),
        };
    }

    /// <summary>
    /// Runs the worker over the sample: the first part is published, then, once the first retrain has decided and any
    /// model it promoted serves (or <paramref name="deadline"/> draws near), the rest; the worker is stopped once it has
    /// dealt with every tick, or at <paramref name="deadline"/>. Returns the ticks published and what had been served
    /// when the rest was published.
    /// </summary>
    private static (long Published, DemoPhase AtSplit) Stream(ForecastingService service, PipelineCounters counters, string bootstrap,
        List<Tick> first, List<Tick> last, Stopwatch clock, TimeSpan deadline)
    {
        var topic = service.Pipeline.Kafka.Topic;
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => service.RunAsync(stop.Token, TimeSpan.FromSeconds(2)));
        var monitor = new DemoMonitor(service, counters, running, clock);
        long published = TickPublisher.Publish(first, bootstrap, topic, rate: null);
        monitor.WaitFor(() => Processed(counters) >= published && FirstModelSettled(service, counters), deadline - LastPartReserve);
        if (!FirstModelSettled(service, counters))
            Console.WriteLine($"no retrain decided within {(deadline - LastPartReserve).TotalSeconds:F0} s: replaying the rest meanwhile");

        var atSplit = new DemoPhase(ScoreSums.Of(service.Pipeline.LiveScore), counters.ForecastsByModel);
        Console.WriteLine($"replaying the last {DemoReport.Percent(1 - FirstPart)} of each symbol ({last.Count:N0} ticks), served by {counters.ServingModel}");
        published += TickPublisher.Publish(last, bootstrap, topic, rate: null);
        monitor.WaitFor(() => Processed(counters) >= published, deadline);
        stop.Cancel();
        running.GetAwaiter().GetResult();
        monitor.Report(final: true);
        return (published, atSplit);
    }

    /// <summary>Ticks the pipeline has dealt with (forecast, late or dead-lettered).</summary>
    private static long Processed(PipelineCounters counters) => counters.Ticks + counters.DeadLettered;

    /// <summary>
    /// Whether the first retrain has decided (or failed, or learning is off) and, when it promoted, its version serves.
    /// </summary>
    private static bool FirstModelSettled(ForecastingService service, PipelineCounters counters)
    {
        if (service.Retraining is not { } retraining) return true;
        if (counters.Retrains.ContainsKey("failed")) return true;
        if (retraining.Outcomes is not [var outcome, ..]) return false;
        return outcome.Version is not { } version || counters.ServingModel == version;
    }

    /// <summary>
    /// Each symbol's first <see cref="FirstPart"/> of ticks, and one more: the forecast made at that tick is the first
    /// one for the part no model trains on, so the forecasts served after the decision are exactly the points the
    /// held-out check scores (<see cref="Backtester.SplitIndex"/> onwards).
    /// </summary>
    public static (List<Tick> First, List<Tick> Last) Split(IReadOnlyList<Tick> ticks)
    {
        var first = new List<Tick>();
        var last = new List<Tick>();
        foreach (var (_, series) in StreamLstm.Features.SymbolSeries.GroupBySymbol(ticks))
        {
            int split = Math.Min(series.Count, Backtester.SplitIndex(series.Count, FirstPart) + 1);
            first.AddRange(series.Take(split));
            last.AddRange(series.Skip(split));
        }
        return (first, last);
    }

    /// <summary>
    /// With <c>Http:Url</c> given (and only then: a demo should not take a port unasked), <c>/metrics</c> and
    /// <c>/health/*</c> of the demo's worker, as <c>run</c> serves them.
    /// </summary>
    private static DemoEndpoint? Endpoint(string? url, PipelineCounters counters, ForecastingOptions options, InfluxOptions influx)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (HttpOptions.Problem(url) is { } problem) throw new CliException($"invalid configuration: {problem}");
        if (HttpOptions.PortProblem(url) is { } taken) throw new CliException(taken);
        var web = WebApplication.CreateSlimBuilder();
        web.Logging.ClearProviders();
        web.WebHost.UseUrls(url);
        web.Services.AddSingleton(counters);
        web.Services.AddSingleton(Options.Create(options.Kafka));
        web.Services.AddSingleton(Options.Create(influx));
        web.Services.AddSingleton(Options.Create(options.History));
        web.AddOperations(serveHttp: true);
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

    /// <summary>Where the demo writes, under its output folder.</summary>
    private sealed record DemoPaths(string Root)
    {
        public string Model => Path.Combine(Root, "model");
        public string History => Path.Combine(Root, "history");
        public string Lines => Path.Combine(Root, "forecasts.lp");
        public string Charts => Path.Combine(Root, "charts");

        /// <summary>An empty model store (cold start) and history, and no points of an earlier run in the line file.</summary>
        public void StartAfresh(bool lineFile)
        {
            Directory.CreateDirectory(Root);
            foreach (var folder in new[] { Model, History })
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            if (lineFile && File.Exists(Lines)) File.Delete(Lines);
        }
    }

    /// <summary>What had been served at one moment of the run.</summary>
    private sealed record DemoPhase(ScoreSums Score, IReadOnlyDictionary<string, long> ByModel);

    /// <summary>The bundled sample (MIT / BSD-3 licensed daily prices, see Samples/README.md).</summary>
    public static List<Tick> LoadSample(TickSettings? rules = null)
    {
        using var stream = typeof(DemoVerb).Assembly.GetManifestResourceStream(SampleResource)
            ?? throw new InvalidOperationException($"resource {SampleResource} is missing from the build");
        using var reader = new StreamReader(stream);
        return PriceFile.Read(reader, "bundled sample", rules ?? new TickSettings());
    }
}
