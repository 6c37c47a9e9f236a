using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using StreamLstm.Model;
using StreamLstm.Worker.Hosting;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>models list [--json]</c>, <c>models promote VERSION</c>, <c>models rollback</c>, each on the store given by
/// <c>--model-dir STORE</c>, <c>Kafka:ModelTopic</c> (with <c>Kafka:BootstrapServers</c>) or <c>Model:Directory</c>.
/// </summary>
public static class ModelsVerb
{
    public static Command Create()
    {
        var command = new Command("models", "List the versions of a model store, promote one, or roll back to the previous one.");
        var list = CommandLine.Verb("list", "The versions with their figures and which is current.");
        var json = new Option<bool>("--json") { Description = "one JSON document instead of a table, with the store's history of switches" };
        list.Options.Add(json);
        list.Options.Add(StoreOption());
        list.SetAction(parse =>
        {
            using var store = Store(parse);
            Console.WriteLine(parse.GetValue(json) ? Json(store) : Table(store));
            return 0;
        });

        var promote = CommandLine.Verb("promote", "Make VERSION current (checked to load completely first; refused if the current version changed meanwhile). A running worker takes it over.");
        var version = new Argument<string>("VERSION") { Description = "the version id, e.g. v3, or naive (serve the last price)" };
        promote.Arguments.Add(version);
        promote.Options.Add(StoreOption());
        promote.SetAction(parse =>
        {
            using var store = Store(parse);
            var id = parse.GetValue(version)!;
            var before = store.CurrentVersion;
            // Only over the version reported as replaced: a worker promoting meanwhile makes this fail, not vanish.
            store.SetCurrent(id, "promoted", expectedCurrent: before, ModelSwitchSource.Operator);
            Console.WriteLine($"{id} is now current in {store.Location} (was {before ?? "none"})");
            return 0;
        });

        var rollback = CommandLine.Verb("rollback", "Make the version that was current before the current one current again. A running worker takes it over.");
        rollback.Options.Add(StoreOption());
        rollback.SetAction(parse =>
        {
            using var store = Store(parse);
            var before = store.CurrentVersion;
            var id = store.Rollback();
            Console.WriteLine($"{id} is now current in {store.Location} (rolled back from {before})");
            return 0;
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(promote);
        command.Subcommands.Add(rollback);
        return command;
    }

    private static Option<DirectoryInfo?> StoreOption() =>
        new("--model-dir") { Description = "the model store's directory (default: the store on Kafka:ModelTopic when set, with Kafka:BootstrapServers, else Model:Directory)", HelpName = "STORE" };

    private static IModelStore Store(ParseResult parse)
    {
        var option = parse.CommandResult.Command.Options.OfType<Option<DirectoryInfo?>>().First(o => o.Name == "--model-dir");
        // Built even when --model-dir names the store, so a misspelt setting is refused here as by every verb.
        var configuration = VerbConfiguration.Build(parse.UnmatchedTokens);
        return VerbConfiguration.OpenModelStore(configuration, parse.GetValue(option)?.FullName);
    }

    private static IEnumerable<(string Id, ModelMetadata? Meta, string? Problem)> Versions(IModelStore store)
    {
        foreach (var id in store.Versions())
        {
            ModelMetadata? meta = null;
            string? problem = null;
            try { meta = store.ReadMetadata(id); }
            catch (ModelStoreException ex) { problem = ex.Message; }
            yield return (id, meta, problem);
        }
    }

    private static string Table(IModelStore store)
    {
        var current = store.CurrentVersion;
        var lines = new List<string> { $"model store {store.Location}", "  version  created (UTC)         data                      symbols    ticks  epochs  val rel_mae  val coverage80  held-out rel_mae (champion)" };
        foreach (var (id, meta, problem) in Versions(store))
        {
            var mark = id == current ? "*" : " ";
            if (meta is null)
            {
                lines.Add($"{mark} {id,-7}  unreadable: {problem}");
                continue;
            }
            var data = meta.DataFrom is { } from && meta.DataTo is { } to ? $"{from:yyyy-MM-dd}..{to:yyyy-MM-dd}" : "";
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{mark} {id,-7}  {meta.CreatedUtc:yyyy-MM-dd HH:mm:ss}   {data,-24}  {meta.Symbols,7}  {meta.Ticks,7}  {meta.Epochs,6}  {Join(meta.ValidationRelMae),11}  {Join(meta.ValidationCoverage80),14}  {Holdout(meta.Holdout)}"));
        }
        lines.Add(current is null ? "no current version" : $"* current: {current}");
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>For versions the worker's retraining promoted: the held-out figures they won on.</summary>
    private static string Holdout(HoldoutEvaluation? h) =>
        h is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{h.RelMae:F4} ({h.Champion} {h.ChampionRelMae:F4}), coverage80 {h.Coverage80:F3}");

    private static string Join(double[] values) => string.Join("/", values.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)));

    private static string Json(IModelStore store)
    {
        var current = store.CurrentVersion;
        var document = new
        {
            store = store.Location,
            current,
            versions = Versions(store).Select(v => new { version = v.Id, current = v.Id == current, metadata = v.Meta, problem = v.Problem }).ToList(),
            history = store.History().Select(h => new { utc = h.Utc, version = h.Version, reason = h.Reason, source = h.Source }).ToList(),
        };
        return JsonSerializer.Serialize(document, ModelStoreJson.Options);
    }
}
