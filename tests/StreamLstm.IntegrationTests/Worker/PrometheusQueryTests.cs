using System.Diagnostics;
using System.Text.RegularExpressions;
using StreamLstm.IntegrationTests.Fixtures;
using Xunit.Abstractions;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// The worker as a real Prometheus sees it: <c>streamlstm run</c> in its own process, scraped every second by a
/// Prometheus server that loads the repository's alert rules; the PromQL of the Worker dashboard and of the alerts is
/// run against what it scraped.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed partial class PrometheusQueryTests(KafkaFixture kafka, InfluxFixture influx, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly string[] Symbols = ["EURUSD", "BRK.B", "日経225"];
    private const string Job = $"job=\"{PrometheusServer.Job}\"";

    /// <summary>
    /// Grafana's macros as it would fill them for the dashboard's default range (6 h) with a 15 s scrape interval
    /// configured on the data source: <c>$__rate_interval</c> is then 4 scrape intervals.
    /// </summary>
    private static readonly Dictionary<string, string> Macros = new()
    {
        ["__rate_interval"] = "1m", ["__interval"] = "15s", ["__interval_ms"] = "15000",
        ["__range"] = "6h", ["__range_s"] = "21600", ["__range_ms"] = "21600000",
    };

    [Fact]
    public async Task Every_dashboard_expression_returns_series_and_every_alert_expression_evaluates_on_what_prometheus_scraped_from_the_worker()
    {
        var clock = Stopwatch.StartNew();
        var root = GrafanaDashboards.RepositoryRoot();
        var alertsFile = Path.Combine(root, "deploy", "prometheus", "alerts.yml");
        var expressions = GrafanaDashboards.PrometheusQueries(root);
        var variables = GrafanaDashboards.PrometheusVariables(root);
        Assert.Contains(expressions, q => q.Dashboard == "streamlstm-worker.json");

        var topic = kafka.CreateTopicName("prom");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var work = harness.WorkDirectory("prom");
        var instance = $"127.0.0.1:{FreePort.Pick()}";
        var url = $"http://{instance}";
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        using (var worker = new WorkerProcess(harness.RunArguments(url, work), work))
        {
            // Prometheus starts while the worker does: it first scrapes about 5 s after starting (its discovery's delay).
            await using var prometheus = await PrometheusServer.StartAsync(instance, [alertsFile]);
            await Poll.UntilAsync(async ct => (await http.GetAsync("/metrics", ct)).IsSuccessStatusCode, Patience, "/metrics answering", () => worker.Output);

            // Two batches, the second after Prometheus has scraped the first, so that every counter and histogram
            // rises between two scrapes of the 1 m windows and the rate() panels have values, not only series.
            var ticks = WorkerHarness.Ticks(Symbols, 60);
            var first = ticks.Take(3 * 40).ToList();
            var second = ticks.Skip(first.Count).ToList();
            await WorkerHarness.PublishAsync(kafka, topic, first);
            await kafka.ProduceAsync(topic, "EURUSD", "{\"symbol\":\"EURUSD\",\"price\":1}");
            await ScrapedAsync(prometheus, worker, first.Count, "the first batch and the dead letter scraped",
                $"count(streamlstm_consumer_lag{{{Job}}})", 1);
            var writes = await ValueAsync(prometheus, $"sum(streamlstm_influx_write_duration_seconds_count{{{Job}}})") ?? 0;
            var firstScraped = clock.Elapsed;

            await WorkerHarness.PublishAsync(kafka, topic, second);
            await ScrapedAsync(prometheus, worker, ticks.Count, "the second batch and its InfluxDB writes scraped",
                $"sum(streamlstm_influx_write_duration_seconds_count{{{Job}}})", writes + 1);
            await Poll.UntilAsync(async ct => await ValueAsync(prometheus, $"count_over_time(up{{{Job}}}[1m])", ct) >= 3, Patience,
                "three scrapes", () => prometheus.RecentLog());
            var scraped = clock.Elapsed;

            // Prometheus's own view of the target, and the counters as it has them.
            var up = await prometheus.QueryAsync($"up{{{Job}}}");
            if (!(up.Series.Count == 1 && up.Series[0].Labels["instance"] == instance && up.Series[0].Value == 1))
            {
                Assert.Fail($"up{{{Job}}} is {up}, not one series of {instance} at 1. Targets:\n{await prometheus.DescribeTargetsAsync()}");
            }

            Assert.Equal(ticks.Count, await SingleValueAsync(prometheus, $"streamlstm_ticks_consumed_total{{{Job}}}"));
            Assert.Equal(1, await SingleValueAsync(prometheus, $"streamlstm_dead_letters_total{{{Job}}}"));

            var problems = new List<string>();
            var checkedCount = await CheckDashboardsAsync(prometheus, expressions, variables, instance, problems);
            var rules = await CheckRulesAsync(prometheus, alertsFile, problems);
            output.WriteLine(FormattableString.Invariant($"first batch scraped after {firstScraped.TotalSeconds:F1} s, both after {scraped.TotalSeconds:F1} s"));
            output.WriteLine(FormattableString.Invariant($"{checkedCount} dashboard queries and {rules} rules checked after {clock.Elapsed.TotalSeconds:F1} s"));
            Assert.True(problems.Count == 0,
                $"{problems.Count} problems with the PromQL of the dashboards ({expressions.Count} expressions) and of {Path.GetFileName(alertsFile)}:\n" +
                string.Join("\n", problems));
        }

        Directory.Delete(work, recursive: true);
    }

    /// <summary>
    /// Waits until Prometheus's last scrape has <paramref name="ticks"/> ticks consumed, all of them through the
    /// forecaster (the latency histogram counts a tick once its points are in the sink's batch), the one dead letter,
    /// and <paramref name="promql"/> at <paramref name="atLeast"/> or more.
    /// </summary>
    private static Task ScrapedAsync(PrometheusServer prometheus, WorkerProcess worker, int ticks, string what, string promql, double atLeast) =>
        Poll.UntilAsync(async ct =>
                await ValueAsync(prometheus, $"sum(streamlstm_ticks_consumed_total{{{Job}}})", ct) == ticks
                && await ValueAsync(prometheus, $"sum(streamlstm_tick_latency_seconds_count{{{Job}}})", ct) == ticks
                && await ValueAsync(prometheus, $"sum(streamlstm_dead_letters_total{{{Job}}})", ct) == 1
                && await ValueAsync(prometheus, promql, ct) >= atLeast,
            Patience, what, () => $"{prometheus.RecentLog()}\nworker:\n{worker.Output}");

    /// <summary>The value of a query that returns at most one series; null when it returns none.</summary>
    private static async Task<double?> ValueAsync(PrometheusServer prometheus, string promql, CancellationToken cancellationToken = default)
    {
        var result = await prometheus.QueryAsync(promql, cancellationToken: cancellationToken);
        return result.Series.Count == 0 ? null : result.Series.Single().Value;
    }

    private static async Task<double> SingleValueAsync(PrometheusServer prometheus, string promql)
    {
        var result = await prometheus.QueryAsync(promql);
        Assert.True(result.Series.Count == 1, $"{promql}: {result}, not one series");
        return result.Series[0].Value;
    }

    /// <summary>
    /// Runs every dashboard expression as an instant query for each way the variables it uses can be set ("All" and
    /// each value, filled in as Grafana does); an error, no series, or only NaN is a problem. Returns the number of queries run.
    /// </summary>
    private async Task<int> CheckDashboardsAsync(PrometheusServer prometheus, IReadOnlyList<DashboardQuery> expressions,
        IReadOnlyList<DashboardVariable> variables, string instance, List<string> problems)
    {
        // Each variable's choices, keyed by dashboard and name: what an expression can have in its place.
        var choices = new Dictionary<(string, string), IReadOnlyList<string>>();
        foreach (var variable in variables)
        {
            var values = await VariableValuesAsync(prometheus, variable, problems);
            output.WriteLine($"{variable}: {string.Join(", ", values)}");
            if (variable.Name == "instance" && !values.Contains(instance))
            {
                problems.Add($"{variable}: {variable.Query} lists {string.Join(", ", values)}, not the worker's {instance}");
            }

            var formatted = values.Select(v => GrafanaDashboards.PrometheusValue(variable, v)).ToList();
            var all = variable.IncludeAll ? [variable.AllValue ?? $"({string.Join('|', formatted)})"] : Array.Empty<string>();
            choices[(variable.Dashboard, variable.Name)] = [.. all, .. formatted];
        }

        var run = 0;
        foreach (var expression in expressions)
        {
            var used = GrafanaDashboards.VariablesIn(expression.Query);
            var unknown = used.Where(v => !choices.ContainsKey((expression.Dashboard, v))).ToList();
            if (unknown.Count > 0)
            {
                problems.Add($"{expression}: uses ${string.Join(", $", unknown)}, which no Prometheus variable of its dashboard defines: {expression.Query}");
                continue;
            }

            var macros = GrafanaDashboards.MacrosIn(expression.Query).Where(m => !Macros.ContainsKey(m)).ToList();
            if (macros.Count > 0)
            {
                problems.Add($"{expression}: uses ${string.Join(", $", macros)}, which is no Grafana macro this test knows: {expression.Query}");
                continue;
            }

            IEnumerable<Dictionary<string, string>> fillings = [new Dictionary<string, string>(Macros)];
            foreach (var name in used)
            {
                fillings = fillings.SelectMany(f => choices[(expression.Dashboard, name)].Select(v => new Dictionary<string, string>(f) { [name] = v }));
            }

            foreach (var filling in fillings.ToList())
            {
                var promql = GrafanaDashboards.FillPromQL(expression.Query, filling);
                run++;
                PrometheusResult result;
                try
                {
                    result = await prometheus.QueryAsync(promql);
                }
                catch (InvalidOperationException e)
                {
                    problems.Add($"{expression}: {e.Message}");
                    continue;
                }

                output.WriteLine($"{expression}: {result}: {promql}");
                if (result.Series.Count == 0)
                {
                    problems.Add($"{expression}: no series: {promql}");
                }
                else if (result.Series.All(s => s.Values.All(v => double.IsNaN(v.Value))))
                {
                    problems.Add($"{expression}: only NaN ({result}): {promql}");
                }
            }
        }

        return run;
    }

    /// <summary>A variable's values as Grafana lists them; only <c>label_values(selector, label)</c> is understood.</summary>
    private static async Task<IReadOnlyList<string>> VariableValuesAsync(PrometheusServer prometheus, DashboardVariable variable, List<string> problems)
    {
        var query = LabelValues().Match(variable.Query);
        if (!query.Success)
        {
            problems.Add($"{variable}: '{variable.Query}' is not label_values(selector, label), the only variable query this test runs");
            return [];
        }

        try
        {
            return await prometheus.LabelValuesAsync(query.Groups["label"].Value, query.Groups["selector"].Value);
        }
        catch (InvalidOperationException e)
        {
            problems.Add($"{variable}: {e.Message}");
            return [];
        }
    }

    /// <summary>
    /// Every rule of the file is loaded, evaluated by Prometheus without error, and its expression (as Prometheus parsed
    /// it) evaluates as an instant query: alerts need not fire, no series is fine. Returns the number of rules.
    /// </summary>
    private static async Task<int> CheckRulesAsync(PrometheusServer prometheus, string file, List<string> problems)
    {
        var inFile = File.ReadLines(file).Count(line => RuleLine().IsMatch(line));
        IReadOnlyList<PrometheusRule> rules = [];
        await Poll.UntilAsync(async ct => (rules = await prometheus.RulesAsync(ct)).Count > 0 && rules.All(r => r.Health != "unknown"),
            Patience, "every rule evaluated once", () => string.Join("\n", rules.Select(r => $"{r}: {r.Health}")));
        if (rules.Count != inFile)
        {
            problems.Add($"{Path.GetFileName(file)} has {inFile} rules and Prometheus loaded {rules.Count}: {string.Join(", ", rules.Select(r => r.Name))}");
        }

        foreach (var rule in rules)
        {
            if (rule.Health != "ok")
            {
                problems.Add($"{rule}: Prometheus's evaluation is '{rule.Health}': {rule.LastError}: {rule.Query}");
            }

            try
            {
                await prometheus.QueryAsync(rule.Query);
            }
            catch (InvalidOperationException e)
            {
                problems.Add($"{rule}: {e.Message}");
            }
        }

        return rules.Count;
    }

    [GeneratedRegex(@"^\s*label_values\(\s*(?<selector>.+)\s*,\s*(?<label>\w+)\s*\)\s*$")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"^\s*-\s*(alert|record):")]
    private static partial Regex RuleLine();
}
