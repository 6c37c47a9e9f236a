using System.Globalization;
using System.Text;

namespace StreamLstm.Ticks;

/// <summary>
/// Reads a CSV of prices: a header with at least <c>timestamp,symbol,price</c> (and optionally <c>volume</c>, and
/// <c>bid</c> and <c>ask</c> together for quotes); other columns are ignored. Rows may interleave symbols; each symbol's rows should be in time order: a row earlier than
/// its symbol's previous row is late, and is skipped and counted, as the worker does with late ticks. A row further
/// ahead of the wall clock than <see cref="TickSettings.MaxClockSkew"/> is an error naming the line, as such a tick is
/// a dead letter for the worker.
/// </summary>
public static class PriceCsvReader
{
    /// <summary>Reads every row of <paramref name="path"/>; throws <see cref="InvalidDataException"/> naming the line.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="rules">The clock-skew rule (null: the defaults).</param>
    /// <param name="now">The wall clock the rule is checked against (null: now).</param>
    public static PriceData Read(string path, TickSettings? rules = null, DateTime? now = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"data file '{path}' does not exist", path);
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, path, rules, now);
    }

    /// <summary>
    /// The number in column <paramref name="column"/>, <paramref name="header"/> (null when the file has no such column
    /// or the field is empty); a field that is not a number is an error naming the line.
    /// </summary>
    private static double? Optional(List<string> fields, int column, string header, string name, int lineNo)
    {
        if (column < 0 || column >= fields.Count || fields[column].Length == 0) return null;
        return double.TryParse(fields[column], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"{name}: line {lineNo}: {header} '{fields[column]}' is not a number");
    }

    /// <summary>Reads every row from <paramref name="reader"/>; <paramref name="name"/> names the source in errors.</summary>
    public static PriceData Read(TextReader reader, string name, TickSettings? rules = null, DateTime? now = null)
    {
        rules ??= new TickSettings();
        var clock = now ?? DateTime.UtcNow;
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{name}: the file is empty (expected a header with timestamp,symbol,price)");
        var columns = SplitLine(header);
        int tsCol = IndexOf(columns, "timestamp"), symCol = IndexOf(columns, "symbol"), priceCol = IndexOf(columns, "price");
        int volCol = IndexOf(columns, "volume"), bidCol = IndexOf(columns, "bid"), askCol = IndexOf(columns, "ask");
        if (tsCol < 0 || symCol < 0 || priceCol < 0)
            throw new InvalidDataException($"{name}: line 1: the header must name the columns timestamp, symbol and price (found: {string.Join(",", columns)})");
        int needed = Math.Max(Math.Max(tsCol, symCol), Math.Max(priceCol, volCol)) + 1;

        var ticks = new List<Tick>();
        var lastBySymbol = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        int lineNo = 1, late = 0, badQuotes = 0;
        int? firstLate = null;
        (int Line, string Problem)? firstBadQuote = null;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            var fields = SplitLine(line);
            if (fields.Count < Math.Max(needed, Math.Max(Math.Max(tsCol, symCol), priceCol) + 1))
                throw new InvalidDataException($"{name}: line {lineNo}: expected at least {needed} columns, found {fields.Count}");
            if (!TimestampParser.TryParse(fields[tsCol], out var ts, out var tsError))
                throw new InvalidDataException($"{name}: line {lineNo}: {tsError}");
            if (rules.Ahead(ts, clock) is { } aheadError)
                throw new InvalidDataException($"{name}: line {lineNo}: timestamp {aheadError}");
            var symbol = fields[symCol];
            if (SymbolRules.Validate(symbol) is { } symError)
                throw new InvalidDataException($"{name}: line {lineNo}: {symError}");
            if (!double.TryParse(fields[priceCol], NumberStyles.Float, CultureInfo.InvariantCulture, out var price)
                || !double.IsFinite(price) || price <= 0)
                throw new InvalidDataException($"{name}: line {lineNo}: price '{fields[priceCol]}' is not a positive finite number");
            double? volume = Optional(fields, volCol, "volume", name, lineNo);
            if (volume is { } v && (!double.IsFinite(v) || v < 0))
                throw new InvalidDataException($"{name}: line {lineNo}: volume '{fields[volCol]}' is not a non-negative number");
            double? bid = Optional(fields, bidCol, "bid", name, lineNo), ask = Optional(fields, askCol, "ask", name, lineNo);
            if (Tick.QuoteProblem(bid, ask) is { } quoteError)
            {
                // Skipped, as the worker sends such a tick to the dead letters: a broken quote (an ask of 0) often comes
                // with a broken mid as its price, and one bad row should not cost the rest of a real file.
                badQuotes++;
                firstBadQuote ??= (lineNo, quoteError.Replace("'", ""));
                continue;
            }
            if (lastBySymbol.TryGetValue(symbol, out var previous) && ts < previous)
            {
                late++;
                firstLate ??= lineNo;
                continue;
            }
            lastBySymbol[symbol] = ts;
            ticks.Add(new Tick(symbol, ts, price, volume, bid, ask));
        }
        return new PriceData(ticks, late, firstLate) { BadQuoteRows = badQuotes, FirstBadQuote = firstBadQuote };
    }

    private static int IndexOf(List<string> columns, string name) =>
        columns.FindIndex(c => string.Equals(c.Trim(), name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Splits one CSV line (RFC 4180 quoting, no embedded newlines).</summary>
    internal static List<string> SplitLine(string line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"')
                {
                    if (i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                    else quoted = false;
                }
                else sb.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(ch);
        }
        fields.Add(sb.ToString());
        return fields;
    }
}
