using System.CommandLine;
using Spectre.Console;
using StreamLstm.Features;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Ticks;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>train --data CSV [--out STORE] [--epochs N]</c>: trains a model and makes it the current version of the store
/// STORE (a directory), or without <c>--out</c> of the store on <c>Kafka:ModelTopic</c>.
/// </summary>
public static class TrainVerb
{
    public static Command Create()
    {
        var data = new Option<FileInfo>("--data") { Description = "CSV of prices (timestamp,symbol,price; volume, bid, ask when present)", Required = true, HelpName = "CSV" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "model store directory to add the version to (created if absent); without it, the store on Kafka:ModelTopic", HelpName = "STORE" };
        var epochs = new Option<int?>("--epochs") { Description = "most epochs to train (default: Training:Epochs)", HelpName = "N" };
        var command = CommandLine.Verb("train",
            "Train a model offline from a CSV of prices, add it to the model store as a new version and make it current (a running " +
            "worker takes it over). Its shape comes from Model:* settings (e.g. --Model:HiddenSize=32), its training from Training:*.");
        command.Options.Add(data);
        command.Options.Add(output);
        command.Options.Add(epochs);
        command.SetAction(parse =>
        {
            var configuration = VerbConfiguration.Build(parse.UnmatchedTokens);
            var directory = parse.GetValue(output)?.FullName;
            if (directory is null && VerbConfiguration.ModelTopic(configuration) is null)
                throw new CliException("Option '--out' is required (or set Kafka:ModelTopic to add the version to the store on Kafka).");
            var model = VerbConfiguration.Model(configuration);
            var training = VerbConfiguration.Training(configuration, parse.GetValue(epochs));
            var ticks = PriceFile.Read(parse.GetValue(data)!.FullName, VerbConfiguration.Ticks(configuration));
            var series = SymbolSeries.FromTicks(ticks, model.Warmup);
            var result = TrainWithProgress(model, training, series);
            using var store = VerbConfiguration.OpenModelStore(configuration, directory, create: true);
            var id = store.Add(result.Network, result.Calibration, ModelMetadata.From(result, ticks, parse.GetValue(data)!.Name));
            var pruned = store.Prune(VerbConfiguration.KeepVersions(configuration));
            if (pruned.Count > 0) Console.WriteLine($"removed old versions {string.Join(", ", pruned)} (Model:KeepVersions)");
            Console.WriteLine($"{id} is now current in {store.Location}: {series.Count} symbols, {ticks.Count} ticks, " +
                $"{result.Epochs} epochs, {Summary(result.Validation)}");
            result.Network.Dispose();
            return 0;
        });
        return command;
    }

    /// <summary>Trains with a progress bar: epoch, loss, validation loss, ETA.</summary>
    internal static TrainingResult TrainWithProgress(ModelSettings model, TrainingSettings training, IReadOnlyList<SymbolSeries> series)
    {
        var trainer = new ModelTrainer(model, training);
        TrainingResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: training.Epochs);
                var progress = new SyncProgress<EpochReport>(report =>
                {
                    task.Value = report.Epoch;
                    task.Description = $"epoch {report.Epoch}/{report.MaxEpochs} loss {report.TrainLoss:F4} val {report.ValidationLoss:F4} (best {report.BestValidationLoss:F4})";
                });
                result = trainer.Train(series, progress);
                task.Value = task.MaxValue;
            });
        if (result!.FeatureChoice is { } choice) Console.WriteLine($"features (Model:Features auto): {choice}");
        return result!;
    }

    /// <summary>Adds <paramref name="result"/> to the store in <paramref name="directory"/>, releases the trained network and loads the version back.</summary>
    internal static ModelVersion Keep(TrainingResult result, IReadOnlyList<Tick> ticks, string source, string directory)
    {
        var store = new ModelStore(directory);
        store.Add(result.Network, result.Calibration, ModelMetadata.From(result, ticks, source));
        result.Network.Dispose();
        return store.LoadCurrent();
    }

    internal static string Summary(ValidationSummary v) =>
        $"validation rel_mae {string.Join("/", v.RelMae.Select(x => x.ToString("F3")))}, coverage80 {string.Join("/", v.Coverage80.Select(x => x.ToString("F3")))} (horizons 1..{v.RelMae.Length})";
}
