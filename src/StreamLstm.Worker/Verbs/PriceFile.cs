using StreamLstm.Ticks;

namespace StreamLstm.Worker.Verbs;

/// <summary>Reads a CSV of prices for a verb, telling the user about late rows that were skipped.</summary>
public static class PriceFile
{
    public static List<Tick> Read(string path, TickSettings rules) => Report(PriceCsvReader.Read(path, rules), path);

    public static List<Tick> Read(TextReader reader, string name, TickSettings rules) => Report(PriceCsvReader.Read(reader, name, rules), name);

    private static List<Tick> Report(PriceData data, string name)
    {
        if (data.LateRows > 0)
            Console.Error.WriteLine($"warning: {name}: skipped {data.LateRows} late row(s), earlier than their symbol's previous row (first at line {data.FirstLateLine})");
        if (data.FirstBadQuote is { } bad)
            Console.Error.WriteLine($"warning: {name}: skipped {data.BadQuoteRows} row(s) with a bad quote (first at line {bad.Line}: {bad.Problem})");
        return data.Ticks;
    }
}
