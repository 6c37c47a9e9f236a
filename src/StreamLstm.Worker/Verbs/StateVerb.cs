using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using StreamLstm.State;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>state list [--symbol SYMBOL] [--json]</c> and <c>state drop (--symbol SYMBOL | --all)</c> on the state changelog
/// (<c>Kafka:StateTopic</c>, default <c>{Kafka:Topic}.state</c>) of the brokers <c>Kafka:BootstrapServers</c>.
/// </summary>
public static class StateVerb
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var command = new Command("state",
            "Inspect the per-symbol serving state the workers checkpoint to Kafka (Kafka:StateTopic), or delete it so the symbols are " +
            "re-warmed from their tick history at the next start: after 'history drop', or to reprocess from an earlier offset. " +
            "Needs Kafka:BootstrapServers (and Kafka:Topic or Kafka:StateTopic) as the workers have them.");

        var list = CommandLine.Verb("list", "Per symbol: its partition, the offset its checkpoint covers, the model that advanced it and its last tick's time (safe while workers run).");
        var listSymbol = new Option<string?>("--symbol") { Description = "only this symbol", HelpName = "SYMBOL" };
        var json = new Option<bool>("--json") { Description = "one JSON object per line instead of a table" };
        list.Options.Add(listSymbol);
        list.Options.Add(json);
        list.SetAction(parse =>
        {
            using var changelog = Changelog(parse);
            var symbol = parse.GetValue(listSymbol);
            var states = Read(changelog).Where(s => symbol is null || s.Symbol == symbol).ToList();
            if (parse.GetValue(json))
            {
                foreach (var s in states)
                    Console.WriteLine(JsonSerializer.Serialize(new { symbol = s.Symbol, partition = s.Partition, through = s.Through, model = s.Model, last_time = s.LastTime, bytes = s.Bytes }));
                return 0;
            }
            Console.WriteLine(Table(states, changelog.Topic, symbol));
            return 0;
        });

        var drop = CommandLine.Verb("drop",
            "Delete the checkpointed state of SYMBOL (or of every symbol with --all). Stop the workers first: a running worker keeps " +
            "its symbols' state in memory and writes it back at its next checkpoint.");
        var dropSymbol = new Option<string?>("--symbol") { Description = "the symbol whose state to delete", HelpName = "SYMBOL" };
        var all = new Option<bool>("--all") { Description = "delete every symbol's state" };
        drop.Options.Add(dropSymbol);
        drop.Options.Add(all);
        drop.SetAction(parse =>
        {
            var symbol = parse.GetValue(dropSymbol);
            if ((symbol is null) == !parse.GetValue(all)) throw new CliException("give either --symbol SYMBOL or --all");
            using var changelog = Changelog(parse);
            var doomed = Read(changelog).Where(s => symbol is null || s.Symbol == symbol).ToList();
            if (doomed.Count == 0)
            {
                Console.WriteLine(symbol is null ? $"no state in {changelog.Topic}: nothing deleted" : $"no state of {symbol} in {changelog.Topic}: nothing deleted");
                return 0;
            }
            changelog.Delete(doomed.Select(s => (s.Partition, s.Symbol)), Timeout);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"deleted the state of {(symbol ?? $"{doomed.Count} symbols")} from {changelog.Topic}: re-warmed from the tick history at the next start"));
            return 0;
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(drop);
        return command;
    }

    private static StateChangelog Changelog(ParseResult parse)
    {
        var configuration = VerbConfiguration.Build(parse.UnmatchedTokens);
        return new StateChangelog(VerbConfiguration.Kafka(configuration), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }

    private sealed record Entry(string Symbol, int Partition, long Through, string Model, DateTime? LastTime, int Bytes);

    private static List<Entry> Read(StateChangelog changelog)
    {
        var partitions = changelog.Partitions(Timeout);
        if (partitions.Count == 0) throw new CliException($"the state topic {changelog.Topic} does not exist (no worker has checkpointed to it)");
        var entries = new List<Entry>();
        foreach (var (partition, records) in changelog.Read(partitions, Timeout))
            foreach (var (symbol, value) in records)
                entries.Add(SymbolStateCodec.TryReadHeader(value, out var model, out var through, out var lastTime)
                    ? new Entry(symbol, partition, through, model, lastTime, value.Length)
                    : new Entry(symbol, partition, -1, "(unreadable)", null, value.Length));
        return entries.OrderBy(e => e.Symbol, StringComparer.Ordinal).ThenBy(e => e.Partition).ToList();
    }

    private static string Table(List<Entry> states, string topic, string? only)
    {
        if (states.Count == 0) return only is null ? $"no state in {topic}" : $"no state of {only} in {topic}";
        int width = Math.Max("symbol".Length, states.Max(s => s.Symbol.Length));
        var lines = new List<string>
        {
            $"state in {topic}: {states.Count} symbols",
            $"  {"symbol".PadRight(width)}  {"partition",9}  {"through",12}  {"model",-10}  last tick (UTC)",
        };
        foreach (var s in states)
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  {s.Symbol.PadRight(width)}  {s.Partition,9}  {s.Through,12}  {s.Model,-10}  {s.LastTime?.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture) ?? "-"}"));
        return string.Join(Environment.NewLine, lines);
    }
}
