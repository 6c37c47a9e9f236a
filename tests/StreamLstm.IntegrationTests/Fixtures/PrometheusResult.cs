using System.Globalization;
using System.Text.Json;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>
/// What a PromQL query returned: its <c>resultType</c> (<c>vector</c>, <c>matrix</c>, <c>scalar</c> or <c>string</c>) and
/// its series. A scalar is one series without labels; a string result has no series.
/// </summary>
internal sealed record PrometheusResult(string ResultType, IReadOnlyList<PrometheusSeries> Series)
{
    /// <summary>Reads the <c>data</c> object of a query answer.</summary>
    public static PrometheusResult Parse(JsonElement data)
    {
        var type = data.GetProperty("resultType").GetString() ?? "";
        var result = data.GetProperty("result");
        IReadOnlyList<PrometheusSeries> series = type switch
        {
            "vector" => [.. result.EnumerateArray().Select(s => new PrometheusSeries(Labels(s), [Sample(s.GetProperty("value"))]))],
            "matrix" => [.. result.EnumerateArray().Select(s => new PrometheusSeries(Labels(s), [.. s.GetProperty("values").EnumerateArray().Select(Sample)]))],
            "scalar" => [new PrometheusSeries(new Dictionary<string, string>(), [Sample(result)])],
            _ => [],
        };
        return new PrometheusResult(type, series);
    }

    private static Dictionary<string, string> Labels(JsonElement series) =>
        series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");

    /// <summary>A <c>[unix seconds, "value"]</c> pair; Prometheus writes infinities as <c>+Inf</c> and <c>-Inf</c>.</summary>
    private static PrometheusSample Sample(JsonElement pair)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(pair[0].GetDouble() * 1000));
        var value = pair[1].GetString() switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            var text => double.Parse(text ?? "NaN", NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new PrometheusSample(time, value);
    }

    public override string ToString() =>
        $"{ResultType} of {Series.Count} series{(Series.Count == 0 ? "" : ": " + string.Join("; ", Series.Take(5)))}{(Series.Count > 5 ? "; ..." : "")}";
}
