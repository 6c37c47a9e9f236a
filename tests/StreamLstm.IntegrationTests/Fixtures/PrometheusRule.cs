using System.Text.Json;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>
/// A rule as Prometheus loaded it from a rule file (<c>/api/v1/rules</c>): its group, name, type (<c>alerting</c> or
/// <c>recording</c>), expression, and the health and error of its last evaluation (<c>unknown</c> before the first).
/// </summary>
internal sealed record PrometheusRule(string Group, string Name, string Type, string Query, string Health, string LastError)
{
    public static PrometheusRule Parse(JsonElement group, JsonElement rule) => new(
        group.GetProperty("name").GetString() ?? "",
        rule.GetProperty("name").GetString() ?? "",
        rule.GetProperty("type").GetString() ?? "",
        rule.GetProperty("query").GetString() ?? "",
        rule.GetProperty("health").GetString() ?? "",
        rule.TryGetProperty("lastError", out var error) ? error.GetString() ?? "" : "");

    public override string ToString() => $"{Type} rule '{Name}' (group {Group})";
}
