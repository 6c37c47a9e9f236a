using System.Text.Json;
using StreamLstm.Inference;

namespace StreamLstm.Evaluation;

/// <summary>
/// Writes a <see cref="BacktestResult"/> as <c>metrics.json</c> (schema in docs/reference.md, "metrics.json"): the
/// scores, with <c>baselines</c> and the model's <c>interval_score_vs_naive</c> and <c>interval_score_vs_garch</c>, plus
/// <c>model</c>, <c>features</c> (the feature set it read) and <c>baseline_rolling_vol</c>.
/// </summary>
public static class MetricsReport
{
    public static void Write(BacktestResult result, string path)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("horizon", result.Horizon);
        json.WriteString("model", result.Model);
        json.WriteString("features", result.Features);
        json.WritePropertyName("overall");
        json.WriteStartObject();
        WriteFigures(json, result.Overall);
        WriteNumber(json, "interval_score_vs_naive", result.IntervalScoreVsNaive);
        WriteNumber(json, "interval_score_vs_garch", result.IntervalScoreVsGarch);
        json.WriteEndObject();
        json.WriteStartArray("symbols");
        foreach (var s in result.Symbols) WriteScore(json, s.Score, s.Symbol);
        json.WriteEndArray();
        json.WriteStartArray("skipped");
        foreach (var s in result.Skipped) json.WriteStringValue(s);
        json.WriteEndArray();
        json.WriteStartObject("baselines");
        foreach (var (name, score) in new[] { ("naive", result.Naive), ("garch", result.Garch) })
        {
            json.WriteStartObject(name);
            json.WritePropertyName("overall");
            WriteScore(json, score, null);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WritePropertyName("baseline_rolling_vol");
        json.WriteStartObject();
        WriteNumber(json, "coverage80", result.Baseline.Coverage80);
        WriteNumber(json, "interval_width", result.Baseline.IntervalWidth);
        WriteNumber(json, "interval_score", result.Baseline.IntervalScore);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteScore(Utf8JsonWriter json, ForecastScore score, string? symbol)
    {
        json.WriteStartObject();
        if (symbol is not null) json.WriteString("symbol", symbol);
        WriteFigures(json, score);
        json.WriteEndObject();
    }

    private static void WriteFigures(Utf8JsonWriter json, ForecastScore score)
    {
        json.WriteNumber("n", score.N);
        WriteNumber(json, "mae", score.Mae);
        WriteNumber(json, "rmse", score.Rmse);
        WriteNumber(json, "naive_mae", score.NaiveMae);
        WriteNumber(json, "rel_mae", score.RelMae);
        WriteNumber(json, "directional_accuracy", score.DirectionalAccuracy);
        WriteNumber(json, "coverage80", score.Coverage80);
        WriteNumber(json, "interval_width", score.IntervalWidth);
        WriteNumber(json, "interval_score", score.IntervalScore);
        WriteNumber(json, "pinball_10", score.Pinball10);
        WriteNumber(json, "pinball_50", score.Pinball50);
        WriteNumber(json, "pinball_90", score.Pinball90);
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) json.WriteNumber(name, v);
        else json.WriteNull(name);
    }
}
