using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Learning;
using StreamLstm.Pipeline;
using StreamLstm.Telemetry;
using Xunit.Abstractions;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// The Grafana dashboards' InfluxQL (deploy/grafana/dashboards/*.json, read from the repository) against what the
/// worker writes: after a replay through the whole worker into the real InfluxDB, every panel target, template
/// variable and annotation query returns data. Targets of the <c>skill</c> points run against a second replay with the
/// lean output profile (<c>Sink:Profile=lean</c>), which writes them.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class DashboardQueryTests(KafkaFixture kafka, InfluxFixture influx, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private static readonly DateTime Start = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    // Symbols that need escaping in a regex (the dashboards select a symbol with =~ /^$symbol$/).
    private static readonly string[] Symbols = ["EUR/USD", "^GSPC", "BRK.B"];

    [Fact]
    public async Task Every_influxql_query_of_the_dashboards_returns_data_after_the_worker_processed_a_replay()
    {
        var queries = GrafanaDashboards.InfluxQueries(GrafanaDashboards.RepositoryRoot());
        Assert.NotEmpty(queries);

        // A cold start: naive forecasts, a first model trained and promoted (a model_event), then forecasts of v1.
        var (topic, bucket) = (kafka.CreateTopicName("dashboards"), await influx.NewBucketAsync());
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var first = WorkerHarness.Predictable(Symbols, 700, seed: 11, Start);
        var second = WorkerHarness.Predictable(Symbols, 100, seed: 12, Start.AddMinutes(700), continuing: first);
        await WorkerHarness.PublishAsync(kafka, topic, first);
        using (var stop = new CancellationTokenSource())
        {
            var counters = new PipelineCounters();
            // MinTicks is the whole first part: the first retrain always trains on the same ticks, however far the
            // worker had got when it looked (with fewer, the ticks it saw depended on timing, and so did the decision).
            var learning = new LearningSettings { Interval = TimeSpan.FromHours(1), CheckInterval = TimeSpan.FromMilliseconds(100), MinTicks = first.Count };
            var (service, running) = harness.StartService(stop.Token, learning, counters, harness.EmptyStoreDirectory);
            using (service)
            {
                await WaitAsync(() => service.Pipeline.ServingModel == "v1" && counters.ModelEvents >= 1, "the first model promoted and serving",
                    () => $"ticks {counters.Ticks}, serving {service.Pipeline.ServingModel}, model events {counters.ModelEvents}, " +
                        $"retrains: {string.Join("; ", service.Retraining!.Outcomes.Select(o => $"{o.Ticks} ticks, rel_mae {o.RelMae}: {o.Decision.Reason}"))}");
                await WorkerHarness.PublishAsync(kafka, topic, second);
                await WaitAsync(() => counters.Ticks >= first.Count + second.Count, "every tick processed", () => $"ticks {counters.Ticks}");
                stop.Cancel();
                await running;
            }
        }

        // The same ticks through a worker writing the lean profile, for the targets that read its skill points.
        var leanBucket = await influx.NewBucketAsync();
        using (var lean = new WorkerHarness(kafka, influx, topic, leanBucket, group: "lean-" + topic))
        using (var stop = new CancellationTokenSource())
        {
            var counters = new PipelineCounters();
            var (_, running) = lean.Start(stop.Token, counters, output: new StreamLstm.Sink.OutputSettings { Profile = "lean" });
            await WaitAsync(() => counters.Ticks >= first.Count + second.Count, "every tick processed with the lean profile", () => $"ticks {counters.Ticks}");
            stop.Cancel();
            await running;
        }

        // The dashboard's time range covers every tick; $__interval as Grafana might pick it for this range.
        var (from, to) = (Start.AddMinutes(-1), Start.AddMinutes(801));
        const string interval = "1m";
        var problems = new List<string>();
        var values = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var variable in queries.Where(q => q.Kind == "variable"))
        {
            var rows = await RunAsync(variable, variable.Query, bucket, problems);
            values[variable.Name] = [.. rows.Select(r => r.GetString("value")).OfType<string>().Order(StringComparer.Ordinal)];
            output.WriteLine($"{variable}: {string.Join(", ", values[variable.Name])}");
        }

        foreach (var query in queries.Where(q => q.Kind != "variable"))
        {
            if (!query.IsRaw)
            {
                problems.Add($"{query}: not a raw InfluxQL query (rawQuery must be true)");
                continue;
            }

            var used = GrafanaDashboards.VariablesIn(query.Query);
            var unknown = used.Where(v => !values.ContainsKey(v)).ToList();
            if (unknown.Count > 0)
            {
                problems.Add($"{query}: uses ${string.Join(", $", unknown)}, which no InfluxDB variable of the dashboards defines");
                continue;
            }

            var unset = used.Where(v => values[v].Count == 0).ToList();
            if (unset.Count > 0)
            {
                problems.Add($"{query}: not run, ${string.Join(", $", unset)} has no values");
                continue;
            }

            // Every combination of the values of the variables the query uses, as a user could pick them.
            foreach (var choice in Combinations(used, values))
            {
                var filled = GrafanaDashboards.Fill(query.Query, choice, from, to, interval, escapeEverywhere: false);
                var backend = GrafanaDashboards.Fill(query.Query, choice, from, to, interval, escapeEverywhere: true);
                if (filled != backend)
                {
                    problems.Add($"{query}: Grafana's frontend and backend fill it in differently (a variable outside a regex " +
                        $"literal with a value that needs escaping): {filled} versus {backend}");
                    continue;
                }

                await RunAsync(query, filled, filled.Contains("FROM \"skill\"", StringComparison.Ordinal) ? leanBucket : bucket, problems);
            }
        }

        Assert.True(problems.Count == 0,
            $"{problems.Count} problems running the dashboards' {queries.Count} InfluxQL queries (each for every value of its variables):\n" +
            string.Join("\n", problems));
    }

    /// <summary>Runs a query; no rows, a column that is null in every row, or an error is a problem.</summary>
    private async Task<IReadOnlyList<InfluxRow>> RunAsync(DashboardQuery query, string influxQL, string bucket, List<string> problems)
    {
        IReadOnlyList<InfluxRow> rows;
        try
        {
            rows = await influx.QueryAsync(bucket, influxQL);
        }
        catch (InvalidOperationException e)
        {
            problems.Add($"{query}: {e.Message}");
            return [];
        }

        var empty = rows.SelectMany(r => r.Columns.Keys).Distinct().Where(c => c != "time" && rows.All(r => r[c] is null)).ToList();
        output.WriteLine($"{query}: {rows.Count} rows{(empty.Count > 0 ? $", no values in {string.Join(", ", empty)}" : "")}: {influxQL}");
        if (rows.Count == 0)
        {
            problems.Add($"{query}: no data: {influxQL}");
        }
        else if (empty.Count > 0)
        {
            problems.Add($"{query}: no values in {string.Join(", ", empty)}: {influxQL}");
        }

        return rows;
    }

    private static IEnumerable<Dictionary<string, string>> Combinations(IReadOnlyList<string> variables, Dictionary<string, IReadOnlyList<string>> values)
    {
        IEnumerable<Dictionary<string, string>> choices = [new Dictionary<string, string>()];
        foreach (var variable in variables)
        {
            choices = choices.SelectMany(c => values[variable].Select(v => new Dictionary<string, string>(c) { [variable] = v }));
        }

        return choices;
    }

    private static Task WaitAsync(Func<bool> condition, string what, Func<string> diagnostics) =>
        Poll.UntilAsync(_ => Task.FromResult(condition()), Patience, what, diagnostics);
}
