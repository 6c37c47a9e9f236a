using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Ticks;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>history list [--symbol SYMBOL]</c> and <c>history drop --symbol SYMBOL --from TIMESTAMP</c>, each on the
/// history files <c>{dir}/{topic}-{partition}.ticks</c> of <c>--history-dir DIR</c> or <c>History:Directory</c> and
/// <c>--topic TOPIC</c> or <c>Kafka:Topic</c>.
/// </summary>
public static class HistoryVerb
{
    public static Command Create()
    {
        var command = new Command("history",
            "Inspect the worker's tick history files, or remove a symbol's ticks from a time on: a symbol stuck behind a tick " +
            "stamped too far ahead (every later tick of it skipped as late, also after a restart) resumes once that tick is gone.");

        var list = CommandLine.Verb("list", "Per symbol: the ticks the history files record, and the first and last event time among them (safe while the worker runs).");
        var listSymbol = new Option<string?>("--symbol") { Description = "only this symbol", HelpName = "SYMBOL" };
        list.Options.Add(listSymbol);
        AddLocation(list, out var listDirectory, out var listTopic);
        list.SetAction(parse =>
        {
            var (directory, topic) = Location(parse, listDirectory, listTopic);
            var symbol = parse.GetValue(listSymbol);
            var symbols = TickHistoryFiles.Summarize(directory, topic).Where(s => symbol is null || s.Symbol == symbol).ToList();
            Console.WriteLine(Table(symbols, directory, topic, symbol));
            return 0;
        });

        var drop = CommandLine.Verb("drop",
            "Remove every tick of SYMBOL stamped at or after TIMESTAMP from the history files of the topic, rewriting each file " +
            "that holds any atomically. Stop the worker first: a file in use is refused and nothing changes.");
        var symbolOption = new Option<string>("--symbol") { Description = "the symbol whose ticks to remove", HelpName = "SYMBOL", Required = true };
        var fromOption = new Option<string>("--from")
        {
            Description = "remove its ticks stamped at or after this time: ISO-8601 (no offset means UTC) or Unix epoch milliseconds",
            HelpName = "TIMESTAMP",
            Required = true,
        };
        drop.Options.Add(symbolOption);
        drop.Options.Add(fromOption);
        AddLocation(drop, out var dropDirectory, out var dropTopic);
        drop.SetAction(parse =>
        {
            var symbol = parse.GetValue(symbolOption)!;
            if (SymbolRules.Validate(symbol) is { } problem) throw new CliException($"--symbol: {problem}");
            if (!TimestampParser.TryParse(parse.GetValue(fromOption), out var from, out var error)) throw new CliException($"--from: {error}");
            var (directory, topic) = Location(parse, dropDirectory, dropTopic);
            var files = TickHistoryFiles.DropTicks(directory, topic, symbol, from);
            var what = $"of {symbol} at or after {Iso(from)}";
            long total = 0;
            foreach (var (file, removed) in files.Where(f => f.Removed > 0))
            {
                Console.WriteLine($"removed {Ticks(removed)} {what} from {file}");
                total += removed;
            }
            int changed = files.Count(f => f.Removed > 0);
            Console.WriteLine(files.Count == 0 ? $"no history files of topic {topic} in {directory}: nothing removed"
                : changed == 0 ? $"no ticks {what} in the {Files(files.Count)} of topic {topic} in {directory}: nothing removed"
                : $"removed {Ticks(total)} {what} from {changed} of the {Files(files.Count)} of topic {topic} in {directory}");
            return 0;
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(drop);
        return command;
    }

    private static void AddLocation(Command command, out Option<string?> directory, out Option<string?> topic)
    {
        directory = new Option<string?>("--history-dir") { Description = "the folder of the history files (default: History:Directory)", HelpName = "DIR" };
        topic = new Option<string?>("--topic") { Description = "the tick topic, whose name the files carry (default: Kafka:Topic)", HelpName = "TOPIC" };
        command.Options.Add(directory);
        command.Options.Add(topic);
    }

    private static (string Directory, string Topic) Location(ParseResult parse, Option<string?> directoryOption, Option<string?> topicOption)
    {
        var configuration = VerbConfiguration.Build(parse.UnmatchedTokens);
        var directory = parse.GetValue(directoryOption) ?? VerbConfiguration.History(configuration).Directory;
        var topic = parse.GetValue(topicOption) ?? configuration["Kafka:Topic"] ?? new KafkaOptions().Topic;
        if (TickHistoryFiles.TopicProblem(topic) is { } problem) throw new CliException(problem);
        if (!Directory.Exists(directory)) throw new CliException($"history directory '{Path.GetFullPath(directory)}' does not exist");
        return (directory, topic);
    }

    private static string Table(List<RecordedSymbol> symbols, string directory, string topic, string? only)
    {
        if (symbols.Count == 0)
            return only is null ? $"no ticks recorded for topic {topic} in {directory}" : $"no ticks of {only} recorded for topic {topic} in {directory}";
        int width = Math.Max("symbol".Length, symbols.Max(s => s.Symbol.Length));
        var lines = new List<string>
        {
            $"history of topic {topic} in {directory}: {symbols.Count} symbols, {Ticks(symbols.Sum(s => s.Ticks))}",
            $"  {"symbol".PadRight(width)}  {"ticks",10}  {"first (UTC)",-28}  last (UTC)",
        };
        foreach (var s in symbols)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"  {s.Symbol.PadRight(width)}  {s.Ticks,10}  {Iso(s.First),-28}  {Iso(s.Last)}"));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static string Ticks(long n) => n == 1 ? "1 tick" : string.Create(CultureInfo.InvariantCulture, $"{n} ticks");

    private static string Files(int n) => n == 1 ? "1 history file" : $"{n} history files";
}
