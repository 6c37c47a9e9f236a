using System.Globalization;
using System.Text.Json;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>One row of an InfluxQL result: the series (measurement) it came from, its GROUP BY tags and its columns.
/// Times are Unix epoch nanoseconds (<c>time</c> column, a long).</summary>
public sealed class InfluxRow(string series, IReadOnlyDictionary<string, string> tags, IReadOnlyDictionary<string, object?> columns)
{
    public string Series { get; } = series;

    public IReadOnlyDictionary<string, string> Tags { get; } = tags;

    public IReadOnlyDictionary<string, object?> Columns { get; } = columns;

    public object? this[string column] => Columns.TryGetValue(column, out var value) ? value : Tags.GetValueOrDefault(column);

    public long Time => Convert.ToInt64(this["time"], CultureInfo.InvariantCulture);

    /// <summary>A tag or string column (GROUP BY tags included).</summary>
    public string? GetString(string column) => this[column] switch
    {
        null => null,
        string text => text,
        var other => Convert.ToString(other, CultureInfo.InvariantCulture),
    };

    public double? GetDouble(string column) => this[column] switch
    {
        null => null,
        var value => Convert.ToDouble(value, CultureInfo.InvariantCulture),
    };

    internal static object? Scalar(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => element.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when element.TryGetInt64(out var whole) => whole,
        JsonValueKind.Number => element.GetDouble(),
        _ => element.GetRawText(),
    };

    public override string ToString() =>
        $"{Series} {string.Join(',', Tags.Select(t => $"{t.Key}={t.Value}"))} {string.Join(' ', Columns.Select(c => $"{c.Key}={c.Value}"))}";
}
