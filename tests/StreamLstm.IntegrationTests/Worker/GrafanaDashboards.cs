using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// Reads the InfluxQL and PromQL queries of the dashboards in <c>deploy/grafana/dashboards</c> and fills them in the way
/// Grafana does before sending them to InfluxDB or Prometheus.
/// </summary>
internal static partial class GrafanaDashboards
{
    /// <summary>The uid the dashboards give the InfluxDB data source (README, "Grafana and Prometheus of your own"; deploy/grafana/provisioning/datasources/influxdb.yml).</summary>
    public const string InfluxUid = "influxdb";

    /// <summary>The uid the dashboards give the Prometheus data source.</summary>
    public const string PrometheusUid = "prometheus";

    /// <summary>The repository's top folder: the first folder above the test binaries that holds StreamLstm.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "StreamLstm.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No StreamLstm.sln in {AppContext.BaseDirectory} or any folder above it.");
    }

    /// <summary>Every InfluxQL query of every dashboard JSON file: template variables first, then panels and annotations.</summary>
    public static IReadOnlyList<DashboardQuery> InfluxQueries(string repositoryRoot)
    {
        var queries = new List<DashboardQuery>();
        foreach (var (name, dashboard) in Dashboards(repositoryRoot))
        {
            foreach (var variable in Items(dashboard["templating"]?["list"]))
            {
                if (IsInflux(variable["datasource"]))
                {
                    var query = variable["query"] is JsonObject editor ? editor["query"] : variable["query"];
                    queries.Add(new DashboardQuery(name, "variable", (string?)variable["name"] ?? "?", (string?)query ?? ""));
                }
            }

            foreach (var panel in Panels(dashboard["panels"]))
            {
                foreach (var target in Items(panel["targets"]))
                {
                    if (IsInflux(target["datasource"]) || (target["datasource"] is null && IsInflux(panel["datasource"])))
                    {
                        queries.Add(new DashboardQuery(name, "panel", $"{(string?)panel["title"]} {(string?)target["refId"]}",
                            (string?)target["query"] ?? "", IsRaw: (bool?)target["rawQuery"] == true));
                    }
                }
            }

            foreach (var annotation in Items(dashboard["annotations"]?["list"]))
            {
                if (IsInflux(annotation["datasource"]))
                {
                    // Grafana 11 keeps the query in "target"; older dashboards have it beside the name.
                    var query = (string?)annotation["target"]?["query"] ?? (string?)annotation["query"] ?? "";
                    queries.Add(new DashboardQuery(name, "annotation", (string?)annotation["name"] ?? "?", query));
                }
            }
        }

        return queries;
    }

    /// <summary>
    /// Every PromQL expression of every dashboard JSON file: panel targets (the panel's data source when the target
    /// names none) and annotations on the Prometheus data source.
    /// </summary>
    public static IReadOnlyList<DashboardQuery> PrometheusQueries(string repositoryRoot)
    {
        var queries = new List<DashboardQuery>();
        foreach (var (name, dashboard) in Dashboards(repositoryRoot))
        {
            foreach (var panel in Panels(dashboard["panels"]))
            {
                foreach (var target in Items(panel["targets"]))
                {
                    if (IsPrometheus(target["datasource"]) || (target["datasource"] is null && IsPrometheus(panel["datasource"])))
                    {
                        queries.Add(new DashboardQuery(name, "panel", $"{(string?)panel["title"]} {(string?)target["refId"]}",
                            (string?)target["expr"] ?? ""));
                    }
                }
            }

            foreach (var annotation in Items(dashboard["annotations"]?["list"]))
            {
                if (IsPrometheus(annotation["datasource"]))
                {
                    var expr = (string?)annotation["target"]?["expr"] ?? (string?)annotation["expr"] ?? "";
                    queries.Add(new DashboardQuery(name, "annotation", (string?)annotation["name"] ?? "?", expr));
                }
            }
        }

        return queries;
    }

    /// <summary>The template variables of every dashboard that query the Prometheus data source.</summary>
    public static IReadOnlyList<DashboardVariable> PrometheusVariables(string repositoryRoot)
    {
        var variables = new List<DashboardVariable>();
        foreach (var (name, dashboard) in Dashboards(repositoryRoot))
        {
            foreach (var variable in Items(dashboard["templating"]?["list"]))
            {
                if (IsPrometheus(variable["datasource"]))
                {
                    var query = variable["query"] is JsonObject editor ? editor["query"] : variable["query"];
                    variables.Add(new DashboardVariable(name, (string?)variable["name"] ?? "?", (string?)query ?? "",
                        (bool?)variable["multi"] == true, (bool?)variable["includeAll"] == true, (string?)variable["allValue"]));
                }
            }
        }

        return variables;
    }

    /// <summary>
    /// Replaces Grafana's macros (<c>$__rate_interval</c>, <c>$__range</c>, ...) and template variables in a PromQL
    /// expression, written <c>$name</c> or <c>${name}</c>, with the text in <paramref name="values"/>, put in as it is
    /// (<see cref="PrometheusValue"/> formats a variable's value as Grafana does). Names without a value are left alone.
    /// </summary>
    public static string FillPromQL(string expr, IReadOnlyDictionary<string, string> values) =>
        Variable().Replace(expr, match => values.TryGetValue(match.Groups["name"].Value, out var value) ? value : match.Value);

    /// <summary>
    /// A variable's value as Grafana's Prometheus data source puts it into an expression: for a multi-value or
    /// include-all variable, regex-escaped inside a PromQL string (<c>127.0.0.1:9464</c> becomes
    /// <c>127\\.0\\.0\\.1:9464</c>; <c>prometheusSpecialRegexEscape</c>); otherwise only backslashes and quotes escaped.
    /// </summary>
    public static string PrometheusValue(DashboardVariable variable, string value) =>
        variable.Multi || variable.IncludeAll
            ? PromRegexSpecial().Replace(value.Replace(@"\", @"\\\\", StringComparison.Ordinal), @"\\$0")
            : value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("'", @"\\'", StringComparison.Ordinal);

    /// <summary>
    /// Replaces <c>$timeFilter</c> (as Grafana writes it: <c>time &gt;= 1704067200000ms and time &lt;= ...ms</c>),
    /// <c>$__interval</c> and the template variables in <paramref name="values"/>. Inside a regex literal
    /// (<c>=~ /^$symbol$/</c>) a value is regex-escaped as Grafana does; elsewhere it is put in as it is, unless
    /// <paramref name="escapeEverywhere"/>: Grafana's backend-side InfluxQL (the default since Grafana 11) escapes
    /// every value of a raw query as a regex, wherever it stands.
    /// </summary>
    public static string Fill(string query, IReadOnlyDictionary<string, string> values, DateTime from, DateTime to,
        string interval, bool escapeEverywhere)
    {
        var filled = query
            .Replace("$timeFilter", $"time >= {Milliseconds(from)}ms and time <= {Milliseconds(to)}ms", StringComparison.Ordinal);
        filled = IntervalMacro().Replace(filled, interval);
        var literals = RegexLiteral().Matches(filled);
        return Variable().Replace(filled, match =>
        {
            var name = match.Groups["name"].Value;
            if (!values.TryGetValue(name, out var value))
            {
                return match.Value;
            }

            var inRegex = literals.Any(l => match.Index >= l.Index && match.Index < l.Index + l.Length);
            return inRegex || escapeEverywhere ? EscapeRegex(value) : value;
        });
    }

    /// <summary>The template variables a query uses (macros such as <c>$__interval</c> and <c>$timeFilter</c> aside).</summary>
    public static IReadOnlyList<string> VariablesIn(string query) =>
        [.. Variable().Matches(query).Select(m => m.Groups["name"].Value)
            .Where(n => n != "timeFilter" && !n.StartsWith("__", StringComparison.Ordinal)).Distinct()];

    /// <summary>Grafana's macros a query uses, without the <c>$</c>: <c>__rate_interval</c>, <c>__range</c>, ...</summary>
    public static IReadOnlyList<string> MacrosIn(string query) =>
        [.. Variable().Matches(query).Select(m => m.Groups["name"].Value).Where(n => n.StartsWith("__", StringComparison.Ordinal)).Distinct()];

    /// <summary>Grafana's regex escape (<c>escapeRegex</c> in @grafana/data).</summary>
    public static string EscapeRegex(string value) => RegexSpecial().Replace(value, @"\$0");

    private static string Milliseconds(DateTime time) =>
        new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<(string Name, JsonNode Dashboard)> Dashboards(string repositoryRoot)
    {
        var folder = Path.Combine(repositoryRoot, "deploy", "grafana", "dashboards");
        foreach (var path in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            yield return (Path.GetFileName(path), JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty"));
        }
    }

    private static bool IsPrometheus(JsonNode? datasource) =>
        datasource is JsonObject reference && ((string?)reference["uid"] == PrometheusUid || (string?)reference["type"] == "prometheus");

    private static bool IsInflux(JsonNode? datasource) =>
        datasource is JsonObject reference && ((string?)reference["uid"] == InfluxUid || (string?)reference["type"] == "influxdb");

    private static IEnumerable<JsonNode> Items(JsonNode? array) =>
        array is JsonArray items ? items.OfType<JsonNode>() : [];

    /// <summary>Panels, and the panels inside collapsed rows.</summary>
    private static IEnumerable<JsonNode> Panels(JsonNode? panels)
    {
        foreach (var panel in Items(panels))
        {
            yield return panel;
            foreach (var inner in Panels(panel["panels"]))
            {
                yield return inner;
            }
        }
    }

    [GeneratedRegex(@"\$__interval\b")]
    private static partial Regex IntervalMacro();

    /// <summary>An InfluxQL regex literal after a regex operator: <c>=~ /.../</c> or <c>!~ /.../</c>.</summary>
    [GeneratedRegex(@"[=!]~\s*/(?:\\.|[^/\\])*/")]
    private static partial Regex RegexLiteral();

    [GeneratedRegex(@"\$(?:\{(?<name>\w+)\}|(?<name>\w+))")]
    private static partial Regex Variable();

    [GeneratedRegex(@"[\\^$*+?.()|\[\]{}/]")]
    private static partial Regex RegexSpecial();

    /// <summary>The characters Grafana's <c>prometheusSpecialRegexEscape</c> escapes.</summary>
    [GeneratedRegex(@"[$^*{}\[\]'+?.()|]")]
    private static partial Regex PromRegexSpecial();
}
