namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// One InfluxQL or PromQL query of a Grafana dashboard in the repository: a panel target, a template variable's query
/// or an annotation query, as written in the JSON (Grafana's macros and variables not yet replaced).
/// </summary>
/// <param name="Dashboard">The JSON file's name.</param>
/// <param name="Kind"><c>variable</c>, <c>panel</c> or <c>annotation</c>.</param>
/// <param name="Name">The variable's name, or the panel's title and the target's refId, or the annotation's name.</param>
/// <param name="Query">The raw InfluxQL, or the PromQL expression.</param>
/// <param name="IsRaw">False for a panel target built with Grafana's query builder instead of raw InfluxQL.</param>
internal sealed record DashboardQuery(string Dashboard, string Kind, string Name, string Query, bool IsRaw = true)
{
    public override string ToString() => $"{Dashboard} {Kind} '{Name}'";
}
