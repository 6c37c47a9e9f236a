namespace StreamLstm.IntegrationTests.Worker;

/// <summary>A template variable of a Grafana dashboard on the Prometheus data source, as written in the JSON.</summary>
/// <param name="Dashboard">The JSON file's name.</param>
/// <param name="Name">The name expressions use it by (<c>$instance</c>).</param>
/// <param name="Query">Its query, e.g. <c>label_values(up{job="streamlstm"}, instance)</c>.</param>
/// <param name="Multi">Whether several values can be picked at once.</param>
/// <param name="IncludeAll">Whether it offers "All".</param>
/// <param name="AllValue">What "All" stands for in an expression (null: every value, joined as a regex alternation).</param>
internal sealed record DashboardVariable(string Dashboard, string Name, string Query, bool Multi, bool IncludeAll, string? AllValue)
{
    public override string ToString() => $"{Dashboard} variable '{Name}'";
}
