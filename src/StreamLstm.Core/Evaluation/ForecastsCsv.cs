using System.Globalization;
using StreamLstm.Ticks;

namespace StreamLstm.Evaluation;

/// <summary>
/// Writes every scored forecast of a <see cref="BacktestResult"/> as <c>forecasts.csv</c>, one row each, symbol by symbol
/// in time order: the figures of <c>metrics.json</c> can be recomputed from it (times ISO-8601 UTC with milliseconds,
/// numbers round-trip, invariant culture).
/// </summary>
public static class ForecastsCsv
{
    /// <summary>The header row.</summary>
    public const string Header = "symbol,ts,target_ts,horizon,last,forecast,lower,upper,actual,model,garch_lower,garch_upper";

    public static void Write(BacktestResult result, string path)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine(Header);
        string horizon = result.Horizon.ToString(CultureInfo.InvariantCulture);
        foreach (var symbol in result.Symbols)
        {
            string name = Quote(symbol.Symbol);
            foreach (var p in symbol.Points)
            {
                writer.WriteLine(string.Join(',', name, TimestampParser.Format(p.MadeAt), TimestampParser.Format(p.Time), horizon,
                    Number(p.Last), Number(p.Point), Number(p.Lower), Number(p.Upper), Number(p.Actual), Quote(p.ServedBy),
                    Number(p.GarchLower), Number(p.GarchUpper)));
            }
        }
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A field as RFC 4180 has it: quoted when it holds a comma, a quote or a line break.</summary>
    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
