using System.CommandLine;
using System.Diagnostics;
using StreamLstm.Evaluation;
using StreamLstm.Model;
using StreamLstm.Ticks;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>demo [--seconds N] [--out DIR]</c>: the forecasting core end to end on the bundled sample data, with no outside
/// service: trains a model on the first 70% of each symbol, then runs the per-tick path over every tick, statefully,
/// scoring the rest. With <c>--seconds</c> the whole run, training included, ends within N seconds.
/// </summary>
public static class DemoVerb
{
    internal const string SampleResource = "StreamLstm.Worker.Samples.daily_fx_sp500.csv";

    public static Command Create()
    {
        var seconds = new Option<int?>("--seconds") { Description = "stop by itself within N seconds and print a one-line summary" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "folder for the model store, metrics.json and charts (default: ./demo-output)" };
        var command = CommandLine.Verb("demo", "Run the forecasting core end to end on the bundled sample data, with no outside services.");
        command.Options.Add(seconds);
        command.Options.Add(output);
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var limit = parse.GetValue(seconds);
            if (limit is < 5) throw new CliException($"--seconds must be at least 5, got {limit}");
            var configuration = VerbConfiguration.Build(parse.UnmatchedTokens);
            var model = VerbConfiguration.Model(configuration);
            var training = VerbConfiguration.Training(configuration, null);
            if (limit is { } l) training = training with { MaxDuration = TimeSpan.FromSeconds(l * 0.5) };
            var outDir = parse.GetValue(output)?.FullName ?? Path.GetFullPath("demo-output");
            Directory.CreateDirectory(outDir);

            var ticks = LoadSample();
            Console.WriteLine($"demo: {ticks.Count} ticks of {ticks.Select(t => t.Symbol).Distinct().Count()} symbols (bundled sample); output in {outDir}");
            const double fraction = 0.7;
            var series = Backtester.TrainingSeries(ticks, fraction, model.Warmup);
            var trained = TrainVerb.TrainWithProgress(model, training, series);
            var store = new ModelStore(Path.Combine(outDir, "model"));
            store.Add(trained.Network, trained.Calibration, TrainVerb.Metadata(trained, ticks, "bundled sample"));
            trained.Network.Dispose();
            using var version = store.LoadCurrent();
            var result = BacktestVerb.Run(ticks, version, 1, fraction, VerbConfiguration.Serving(configuration));
            MetricsReport.Write(result, Path.Combine(outDir, "metrics.json"));
            BacktestCharts.Write(result, Path.Combine(outDir, "charts"));
            Console.WriteLine($"demo done in {clock.Elapsed.TotalSeconds:F1}s: {BacktestVerb.Summary(result)}");
            return 0;
        });
        return command;
    }

    /// <summary>The bundled sample (MIT / BSD-3 licensed daily prices, see Samples/README.md).</summary>
    public static List<Tick> LoadSample()
    {
        using var stream = typeof(DemoVerb).Assembly.GetManifestResourceStream(SampleResource)
            ?? throw new InvalidOperationException($"resource {SampleResource} is missing from the build");
        using var reader = new StreamReader(stream);
        return PriceFile.Read(reader, "bundled sample");
    }
}
