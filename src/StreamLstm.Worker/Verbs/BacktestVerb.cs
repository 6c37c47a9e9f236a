using System.CommandLine;
using Spectre.Console;
using StreamLstm.Evaluation;
using StreamLstm.Model;
using StreamLstm.Ticks;
using StreamLstm.Worker.Hosting;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>backtest --data CSV [--model STORE] --out DIR [--horizon H] [--train-fraction F]</c>: walk-forward evaluation on the
/// worker's per-tick path, with the naive and GARCH(1,1) baselines on the same points; writes <c>DIR/metrics.json</c>,
/// every scored forecast in <c>DIR/forecasts.csv</c> and PNG charts in <c>DIR/charts</c>.
/// </summary>
public static class BacktestVerb
{
    public static Command Create()
    {
        var data = new Option<FileInfo>("--data") { Description = "CSV of prices (timestamp,symbol,price; volume, bid, ask when present)", Required = true, HelpName = "CSV" };
        var model = new Option<DirectoryInfo?>("--model") { Description = "model store whose current version to evaluate (default: train one on the first part, kept in DIR/model)", HelpName = "STORE" };
        var output = new Option<DirectoryInfo>("--out") { Description = "folder for metrics.json, forecasts.csv and charts/", Required = true, HelpName = "DIR" };
        var horizon = new Option<int>("--horizon") { Description = "ticks ahead to score (1 up to the model's Model:Horizons)", DefaultValueFactory = _ => 1, HelpName = "H" };
        var fraction = new Option<double>("--train-fraction") { Description = "share of each symbol's ticks before scoring starts (between 0 and 1)", DefaultValueFactory = _ => 0.7, HelpName = "F" };
        var epochs = new Option<int?>("--epochs") { Description = "most epochs when training, without --model (default: Training:Epochs)", HelpName = "N" };
        var command = CommandLine.Verb("backtest", "Walk-forward evaluation, tick by tick and statefully, with metrics.json and charts.");
        foreach (var option in new Option[] { data, model, output, horizon, fraction, epochs }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var f = parse.GetValue(fraction);
            if (!(f > 0 && f < 1)) throw new CliException($"--train-fraction must be between 0 and 1 (exclusive), got {f}");
            var h = parse.GetValue(horizon);
            if (h < 1) throw new CliException($"--horizon must be at least 1, got {h}");
            var configuration = VerbConfiguration.Build(parse.UnmatchedTokens);
            var ticks = PriceFile.Read(parse.GetValue(data)!.FullName, VerbConfiguration.Ticks(configuration));
            var outDir = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);

            using var version = parse.GetValue(model) is { } store
                ? LoadServed(store.FullName, configuration)
                : TrainOnFirstPart(configuration, parse.GetValue(epochs), ticks, f, h, outDir, parse.GetValue(data)!.Name);
            if (h > version.Settings.Horizons)
                throw new CliException($"--horizon {h} is beyond the model's {version.Settings.Horizons} horizons");
            var result = Run(ticks, version, h, f, VerbConfiguration.Serving(configuration));
            var metrics = Path.Combine(outDir, "metrics.json");
            MetricsReport.Write(result, metrics);
            var forecasts = Path.Combine(outDir, "forecasts.csv");
            ForecastsCsv.Write(result, forecasts);
            var charts = BacktestCharts.Write(result, Path.Combine(outDir, "charts"));
            Console.WriteLine(Summary(result));
            Console.WriteLine($"wrote {metrics}, {forecasts} and {charts.Count} charts in {Path.Combine(outDir, "charts")}");
            return 0;
        });
        return command;
    }

    internal static string Summary(BacktestResult r) =>
        $"{r.Model} ({r.Features} features) h={r.Horizon}: n={r.Overall.N} rel_mae={r.Overall.RelMae:F4} mae={r.Overall.Mae:G5} " +
        $"directional={r.Overall.DirectionalAccuracy:F3} coverage80={r.Overall.Coverage80:F3} width={r.Overall.IntervalWidth:P3} " +
        $"(rolling-vol band: coverage80={r.Baseline.Coverage80:F3} width={r.Baseline.IntervalWidth:P3}); " +
        $"interval_score={r.Overall.IntervalScore:G4} vs naive {r.Naive.IntervalScore:G4} (ratio {Ratio(r.IntervalScoreVsNaive)}) " +
        $"and GARCH {r.Garch.IntervalScore:G4} (ratio {Ratio(r.IntervalScoreVsGarch)}); " +
        $"symbols scored {r.Symbols.Count}, skipped {r.Skipped.Count}";

    private static string Ratio(double? value) => value is { } v ? v.ToString("F3") : "n/a";

    /// <summary>
    /// The store's current version, which serves with the shape it was trained with: each <c>Model:*</c> shape setting
    /// given with another value is a <c>warning:</c> line on stderr.
    /// </summary>
    private static ModelVersion LoadServed(string store, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var configured = VerbConfiguration.Model(configuration);
        var models = new ModelStore(store);
        if (models.CurrentVersion == NaiveModel.Id)
        {
            // What the worker serves then: the last price with the EWMA band, calibrated online, in the configured shape.
            Console.Error.WriteLine($"the current version of '{store}' is {NaiveModel.Id}: backtesting the last-price forecast with its adaptive band");
            return NaiveModel.Create(configured);
        }
        var version = models.LoadCurrent();
        foreach (var setting in BakedInSetting.Find(configured, SettingsCatalog.GivenKeys(configuration, "Model"), version.Id, version.Settings))
            Console.Error.WriteLine($"warning: {setting.Message}");
        return version;
    }

    private static ModelVersion TrainOnFirstPart(Microsoft.Extensions.Configuration.IConfiguration configuration, int? epochs,
        List<Tick> ticks, double fraction, int horizon, string outDir, string source)
    {
        var settings = VerbConfiguration.Model(configuration);
        if (horizon > settings.Horizons) settings = settings with { Horizons = horizon };
        var training = VerbConfiguration.Training(configuration, epochs);
        var series = Backtester.TrainingSeries(ticks, fraction, settings.Warmup);
        var result = TrainVerb.TrainWithProgress(settings, training, series);
        Console.WriteLine($"trained on the first {fraction:P0} of each symbol: {result.Epochs} epochs, {TrainVerb.Summary(result.Validation)}");
        return TrainVerb.Keep(result, SymbolTicksBefore(ticks, fraction), source, Path.Combine(outDir, "model"));
    }

    private static List<Tick> SymbolTicksBefore(List<Tick> ticks, double fraction) =>
        Features.SymbolSeries.GroupBySymbol(ticks).SelectMany(g => g.Value.GetRange(0, Backtester.SplitIndex(g.Value.Count, fraction))).ToList();

    internal static BacktestResult Run(List<Tick> ticks, ModelVersion version, int horizon, double fraction, Inference.ServingSettings serving)
    {
        BacktestResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"backtest {version.Id} h={horizon}", maxValue: 1);
                result = Backtester.Run(ticks, version, horizon, fraction, serving, new SyncProgress<double>(v => task.Value = v));
            });
        return result!;
    }
}
