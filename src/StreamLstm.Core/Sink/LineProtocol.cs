using System.Globalization;
using System.Text;

namespace StreamLstm.Sink;

/// <summary>
/// Appends points in InfluxDB line protocol, nanosecond precision, all fields floats. Tag values are escaped
/// (comma, equals sign, space), so any valid symbol reaches InfluxDB unchanged.
/// </summary>
public static class LineProtocol
{
    /// <summary>Nanoseconds since the Unix epoch of a UTC time, plus <paramref name="repeat"/> ns for ticks that share a time.</summary>
    public static long Nanoseconds(DateTime utc, int repeat = 0) => (utc.Ticks - DateTime.UnixEpoch.Ticks) * 100 + repeat;

    /// <summary><c>price,symbol=S value=P T</c></summary>
    public static void Price(StringBuilder line, string symbol, double value, long timeNs)
    {
        line.Append("price,symbol=");
        AppendTag(line, symbol);
        line.Append(" value=");
        AppendFloat(line, value);
        line.Append(' ').Append(timeNs).Append('\n');
    }

    /// <summary><c>forecast,horizon=H,model=M,symbol=S lower=L,upper=U,value=V T</c> (tags in key order, as InfluxDB prefers).</summary>
    public static void Forecast(StringBuilder line, string symbol, int horizon, string model, double value, double lower, double upper, long timeNs)
    {
        line.Append("forecast,horizon=").Append(horizon).Append(",model=");
        AppendTag(line, model);
        line.Append(",symbol=");
        AppendTag(line, symbol);
        line.Append(" lower=");
        AppendFloat(line, lower);
        line.Append(",upper=");
        AppendFloat(line, upper);
        line.Append(",value=");
        AppendFloat(line, value);
        line.Append(' ').Append(timeNs).Append('\n');
    }

    /// <summary>
    /// <c>forecast_error,horizon=H,model=M,symbol=S abs_error=E,covered=C,forecast=F,lower=L,naive_abs_error=N,upper=U T</c>
    /// (all floats): the errors of the forecast that was for this tick, and that forecast with its interval, so a panel
    /// can line them up with the actual.
    /// </summary>
    public static void ForecastError(StringBuilder line, string symbol, int horizon, string model, double absError, double naiveAbsError, bool covered,
        double forecast, double lower, double upper, long timeNs)
    {
        line.Append("forecast_error,horizon=").Append(horizon).Append(",model=");
        AppendTag(line, model);
        line.Append(",symbol=");
        AppendTag(line, symbol);
        line.Append(" abs_error=");
        AppendFloat(line, absError);
        line.Append(",covered=").Append(covered ? '1' : '0');
        line.Append(",forecast=");
        AppendFloat(line, forecast);
        line.Append(",lower=");
        AppendFloat(line, lower);
        line.Append(",naive_abs_error=");
        AppendFloat(line, naiveAbsError);
        line.Append(",upper=");
        AppendFloat(line, upper);
        line.Append(' ').Append(timeNs).Append('\n');
    }

    /// <summary>
    /// <c>skill,horizon=H,model=M,symbol=S abs_error=E,covered=C,n=N,naive_abs_error=A T</c> (all floats): the sums of
    /// the <c>forecast_error</c> fields of one horizon and model over a skill interval, at the interval's end, in the
    /// profiles that write them instead of one point per tick.
    /// </summary>
    public static void Skill(StringBuilder line, string symbol, int horizon, string model, double absError, double naiveAbsError, long covered, long n, long timeNs)
    {
        line.Append("skill,horizon=").Append(horizon).Append(",model=");
        AppendTag(line, model);
        line.Append(",symbol=");
        AppendTag(line, symbol);
        line.Append(" abs_error=");
        AppendFloat(line, absError);
        line.Append(",covered=").Append(covered);
        line.Append(",n=").Append(n);
        line.Append(",naive_abs_error=");
        AppendFloat(line, naiveAbsError);
        line.Append(' ').Append(timeNs).Append('\n');
    }

    /// <summary>
    /// <c>model_event,action=A,model=M,source=S champion_rel_mae=C,coverage80=V,model_version=N,rel_mae=R T</c>: figures
    /// that are not finite (nothing scored, a version trained without them) are left out; <c>model_version</c>, always
    /// there, is the number of a <c>vN</c> version (0 for any other name), so a panel can plot the switches; <c>source</c>
    /// says who made the decision (<c>retrain</c>, <c>operator</c>, <c>train</c>).
    /// </summary>
    public static void ModelEvent(StringBuilder line, string action, string model, string source, double relMae, double championRelMae, double coverage80, long timeNs)
    {
        line.Append("model_event,action=");
        AppendTag(line, action);
        line.Append(",model=");
        AppendTag(line, model);
        line.Append(",source=");
        AppendTag(line, source);
        char separator = ' ';
        foreach (var (name, value) in new[] { ("champion_rel_mae", championRelMae), ("coverage80", coverage80), ("model_version", VersionNumber(model)), ("rel_mae", relMae) })
        {
            if (!double.IsFinite(value)) continue;
            line.Append(separator).Append(name).Append('=');
            AppendFloat(line, value);
            separator = ',';
        }
        line.Append(' ').Append(timeNs).Append('\n');
    }

    private static double VersionNumber(string model) =>
        model.Length > 1 && model[0] == 'v' && long.TryParse(model.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>
    /// Length of the series key (measurement and tag set) at the start of <paramref name="line"/>: up to its first
    /// unescaped space.
    /// </summary>
    public static int SeriesKeyLength(ReadOnlySpan<char> line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\') i++;
            else if (line[i] == ' ') return i;
        }
        return line.Length;
    }

    /// <summary>
    /// The timestamp that ends <paramref name="line"/> (no newline), as this class writes it: fields are numbers, so the
    /// last space comes right before it. False when the line does not end that way.
    /// </summary>
    public static bool TryTimestamp(ReadOnlySpan<char> line, out long timeNs) =>
        long.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out timeNs);

    /// <summary>Escapes a tag key or value: comma, equals sign and space get a backslash.</summary>
    public static void AppendTag(StringBuilder line, string value)
    {
        foreach (var ch in value)
        {
            if (ch is ',' or '=' or ' ') line.Append('\\');
            line.Append(ch);
        }
    }

    private static void AppendFloat(StringBuilder line, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "line protocol fields must be finite");
        // Formatted in place: a string per field was about a third of what the forecast loop allocates per tick.
        Span<char> text = stackalloc char[32];
        if (!value.TryFormat(text, out int written, "R", CultureInfo.InvariantCulture))
            throw new InvalidOperationException($"{value.ToString("R", CultureInfo.InvariantCulture)} does not fit 32 characters");
        line.Append(text[..written]);
    }
}
