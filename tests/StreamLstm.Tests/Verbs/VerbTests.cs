using System.Text.Json;
using StreamLstm.Model;
using StreamLstm.Tests.Support;
using StreamLstm.Worker.Verbs;

namespace StreamLstm.Tests.Verbs;

public class VerbTests
{
    private static readonly string[] Small =
    [
        "--Model:HiddenSize=16", "--Model:Horizons=2", "--Model:Window=40", "--Model:BurnIn=10", "--Model:Warmup=20",
        "--Training:BatchSize=64", "--Training:Stride=10",
    ];

    internal static (int Code, string Out, string Error) Run(params string[] args) => VerbRunner.Run(args);

    internal static void AssertOneLineError((int Code, string Out, string Error) result, string expected)
    {
        Assert.Equal(2, result.Code);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    [Theory]
    [InlineData("train", "--out")]
    [InlineData("backtest", "--out")]
    [InlineData("replay", "--bootstrap")]
    public void A_csv_row_from_the_future_stops_every_verb_that_reads_prices_naming_the_line(string verb, string option)
    {
        using var dir = new TempDirectory();
        var csv = dir.File("prices.csv");
        File.WriteAllText(csv, "timestamp,symbol,price\n2024-01-02,AA,1\n2099-01-01T00:00:00Z,AA,2\n");
        var result = Run(verb, "--data", csv, option, option == "--out" ? dir.File("out") : "127.0.0.1:1");
        AssertOneLineError(result, "prices.csv: line 3: timestamp 2099-01-01T00:00:00.000Z is ");
        Assert.Contains("ahead of the clock", result.Error);
        Assert.Contains("more than Ticks:MaxClockSkew (00:05:00)", result.Error);
        Assert.False(Directory.Exists(dir.File("out")) && Directory.EnumerateFileSystemEntries(dir.File("out")).Any());
    }

    [Fact]
    public void Train_then_backtest_produce_a_store_metrics_and_charts()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("prices.csv");
        SyntheticTicks.WriteCsv(csv, SyntheticTicks.Generate(3, 500, seed: 31));

        var train = Run(["train", "--data", csv, "--out", dir.File("store"), "--epochs", "2", .. Small]);
        Assert.True(train.Code == 0, train.Error);
        Assert.Contains("v1 is now current", train.Out);
        var store = new ModelStore(dir.File("store"));
        Assert.Equal("v1", store.CurrentVersion);
        Assert.Equal(3, store.ReadMetadata("v1").Symbols);

        var backtest = Run(["backtest", "--data", csv, "--model", dir.File("store"), "--out", dir.File("bt"), "--horizon", "2"]);
        Assert.True(backtest.Code == 0, backtest.Error);
        using var metrics = JsonDocument.Parse(File.ReadAllText(dir.File("bt/metrics.json")));
        Assert.Equal(2, metrics.RootElement.GetProperty("horizon").GetInt32());
        Assert.Equal(3, metrics.RootElement.GetProperty("symbols").GetArrayLength());
        Assert.Equal(3 * (500 - 350 - 2), metrics.RootElement.GetProperty("overall").GetProperty("n").GetInt32());
        Assert.Contains(" vs naive ", backtest.Out);
        Assert.Contains(" and GARCH ", backtest.Out);
        var forecasts = File.ReadAllLines(dir.File("bt/forecasts.csv"));
        Assert.Equal("symbol,ts,target_ts,horizon,last,forecast,lower,upper,actual,model,garch_lower,garch_upper", forecasts[0]);
        Assert.Equal(3 * (500 - 350 - 2), forecasts.Length - 1);
        var charts = Directory.GetFiles(dir.File("bt/charts"), "*.png");
        Assert.Equal(3, charts.Length);
        Assert.All(charts, c => Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(c)[..4]));
    }

    [Fact]
    public void Backtest_without_a_model_trains_on_the_first_part_and_keeps_that_model()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("prices.csv");
        SyntheticTicks.WriteCsv(csv, SyntheticTicks.Generate(2, 500, seed: 32));
        var result = Run(["backtest", "--data", csv, "--out", dir.File("bt"), "--train-fraction", "0.6", "--epochs", "2", .. Small]);
        Assert.True(result.Code == 0, result.Error);
        Assert.True(File.Exists(dir.File("bt/metrics.json")));
        var meta = new ModelStore(dir.File("bt/model")).ReadMetadata("v1");
        Assert.Equal(2 * 300, meta.Ticks);
    }

    [Fact]
    public void Demo_runs_the_whole_worker_from_cold_start_through_a_retrain_decision_written_as_a_model_event()
    {
        using var dir = new TempDirectory();
        var result = Run(["demo", "--seconds", "60", "--out", dir.Path, "--Training:Epochs=2", .. Small]);
        Assert.True(result.Code == 0, result.Error);
        var ticks = DemoVerb.LoadSample();
        var (first, last) = DemoVerb.Split(ticks);
        int symbols = ticks.Select(t => t.Symbol).Distinct().Count();
        Assert.Equal(ticks.Count, first.Count + last.Count);
        Assert.Contains($"{ticks.Count:N0}/{ticks.Count:N0} ticks through Kafka", result.Out);
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "forecasts.lp"));
        Assert.Equal(ticks.Count, lines.Count(l => l.StartsWith("price,", StringComparison.Ordinal)));
        // Two horizons per forecast, one forecast per tick once a symbol has 20 returns.
        var forecasts = lines.Where(l => l.StartsWith("forecast,", StringComparison.Ordinal)).ToList();
        Assert.Equal(2 * (ticks.Count - symbols * 20), forecasts.Count);

        // One retrain, at cold start, on the whole first part the history accumulated; its decision printed and
        // written as the only model_event point, and the store left as it decided.
        var decision = Assert.Single(result.Out.Split('\n'), l => l.StartsWith("retrain (", StringComparison.Ordinal));
        Assert.StartsWith($"retrain (first model) on {first.Count:N0} ticks of history, ", decision);
        var modelEvent = Assert.Single(lines, l => l.StartsWith("model_event,", StringComparison.Ordinal));
        var store = new ModelStore(Path.Combine(dir.Path, "model"));
        if (decision.Contains(": promoted v1 (model_event action=promoted model=v1)", StringComparison.Ordinal))
        {
            Assert.StartsWith("model_event,action=promoted,model=v1,source=retrain ", modelEvent);
            Assert.Equal("v1", store.CurrentVersion);
            Assert.Contains("v1 now serves (was naive)", result.Out);
        }
        else
        {
            Assert.Contains(": rejected the challenger, naive keeps serving (model_event action=rejected model=challenger)", decision);
            Assert.StartsWith("model_event,action=rejected,model=challenger,source=retrain ", modelEvent);
            Assert.Null(store.CurrentVersion);
        }
        Assert.Contains("model_event points: 1,", result.Out);
        Assert.Contains("1 retrain (", result.Out);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir.Path, "history")));

        // Who served: the summary's counts are the forecast points' model tags, and add up to all of them.
        var served = Assert.Single(result.Out.Split('\n'), l => l.StartsWith("served: ", StringComparison.Ordinal));
        Assert.StartsWith($"served: {forecasts.Count:N0} forecasts (every horizon): naive ", served);
        var shares = System.Text.RegularExpressions.Regex.Matches(served, @"(?:: |; )(\S+) ([\d,.]+) \(\d+%\)")
            .Select(m => (Model: m.Groups[1].Value, N: long.Parse(m.Groups[2].Value, System.Globalization.NumberStyles.AllowThousands)))
            .ToList();
        Assert.Equal(forecasts.Count, shares.Sum(s => s.N));
        foreach (var model in shares.Select(s => s.Model).Distinct())
            Assert.Equal(forecasts.Count(l => l.Contains($",model={model},", StringComparison.Ordinal)), shares.Where(s => s.Model == model).Sum(s => s.N));
        // Before the decision every forecast was naive's.
        var endOfFirstPart = first.GroupBy(t => t.Symbol).ToDictionary(g => g.Key, g => StreamLstm.Sink.LineProtocol.Nanoseconds(g.Max(t => t.Timestamp)));
        var beforeDecision = forecasts.Where(l => Time(l) <= endOfFirstPart[Symbol(l)]).ToList();
        Assert.All(beforeDecision, l => Assert.Contains(",model=naive,", l, StringComparison.Ordinal));
        Assert.Equal(("naive", (long)beforeDecision.Count), shares[0]);

        // The served forecasts for the part no model trained on, against naive and GARCH on the same points; the
        // walk-forward check of the same points has its charts.
        Assert.Contains($"the last 30% of each symbol (no model trained on it), h=1, {last.Count:N0} forecasts: served interval score ", result.Out);
        Assert.DoesNotContain("the baselines scored", result.Out);
        Assert.Contains(" on the same points from each symbol's first tick (as backtest runs it): interval score ", result.Out);
        Assert.Equal(symbols, Directory.GetFiles(Path.Combine(dir.Path, "charts"), "*.png").Length);

        static long Time(string line) => long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        static string Symbol(string line)
        {
            int start = line.IndexOf(",symbol=", StringComparison.Ordinal) + ",symbol=".Length;
            return line[start..line.IndexOf(' ', start)];
        }
    }

    [Fact]
    public void Demo_reports_a_rejected_first_model_and_naive_serves_the_rest()
    {
        using var dir = new TempDirectory();
        // No challenger beats naive's rel_mae of 1 by half.
        var result = Run(["demo", "--seconds", "60", "--out", dir.Path, "--Training:Epochs=1", "--Learning:PromotionMargin=0.5", .. Small]);
        Assert.True(result.Code == 0, result.Error);
        Assert.Contains(": rejected the challenger, naive keeps serving (model_event action=rejected model=challenger); held-out rel_mae ", result.Out);
        Assert.Contains("replaying the last 30% of each symbol (", result.Out);
        Assert.Contains("), served by naive", result.Out);
        Assert.Contains(" over the rest (no model was promoted)", result.Out);
        Assert.Contains("1 retrain (rejected), model_event points: 1,", result.Out);
        var modelEvent = Assert.Single(File.ReadAllLines(Path.Combine(dir.Path, "forecasts.lp")), l => l.StartsWith("model_event,", StringComparison.Ordinal));
        Assert.StartsWith("model_event,action=rejected,model=challenger,source=retrain ", modelEvent);
        Assert.Null(new ModelStore(Path.Combine(dir.Path, "model")).CurrentVersion);
    }

    [Fact]
    public async Task Demo_serves_metrics_and_health_when_http_url_is_given()
    {
        using var dir = new TempDirectory();
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var url = $"http://127.0.0.1:{port}";
        var demo = Task.Run(() => Run(["demo", "--seconds", "60", "--out", dir.Path, "--Training:Epochs=2", $"--Http:Url={url}", .. Small]));
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        double consumed = 0;
        bool live = false;
        // Read the endpoint for as long as the demo runs (it stops serving when it ends).
        while (!demo.IsCompleted)
        {
            try
            {
                var metrics = await http.GetStringAsync("/metrics");
                var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("streamlstm_ticks_consumed_total", StringComparison.Ordinal));
                if (line is not null) consumed = double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
                live |= (await http.GetAsync("/health/live")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                // Not serving yet (training comes first), or no more.
            }
            await Task.WhenAny(demo, Task.Delay(20));
        }
        var result = await demo;
        Assert.True(result.Code == 0, result.Error);
        Assert.Contains($"metrics on {url}/metrics", result.Out);
        Assert.True(consumed > 0, "the demo's ticks were counted on /metrics");
        Assert.True(live);
    }

    [Fact]
    public void Models_verbs_list_promote_and_roll_back_the_current_version()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("prices.csv");
        SyntheticTicks.WriteCsv(csv, SyntheticTicks.Generate(2, 300, seed: 35));
        var store = dir.File("store");
        for (int i = 0; i < 2; i++)
            Assert.Equal(0, Run(["train", "--data", csv, "--out", store, "--epochs", "1", .. Small]).Code);

        var list = Run("models", "list", "--model-dir", store);
        Assert.Equal(0, list.Code);
        Assert.Contains("* v2 ", list.Out);
        Assert.Contains("  v1 ", list.Out);

        var promote = Run("models", "promote", "v1", "--model-dir", store);
        Assert.True(promote.Code == 0, promote.Error);
        Assert.Contains("v1 is now current", promote.Out);
        Assert.Equal("v1", new ModelStore(store).CurrentVersion);

        var rollback = Run("models", "rollback", "--model-dir", store);
        Assert.True(rollback.Code == 0, rollback.Error);
        Assert.Equal("v2", new ModelStore(store).CurrentVersion);

        using var json = JsonDocument.Parse(Run("models", "list", "--json", $"--Model:Directory={store}").Out);
        Assert.Equal("v2", json.RootElement.GetProperty("current").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("versions").GetArrayLength());
        Assert.Equal(["trained", "trained", "promoted", "rollback"],
            json.RootElement.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("reason").GetString()));
        Assert.Equal(["train", "train", "operator", "operator"],
            json.RootElement.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("source").GetString()));

        AssertOneLineError(Run("models", "promote", "v9", "--model-dir", store), "has no version 'v9'");
        AssertOneLineError(Run("models", "list", "--model-dir", dir.File("nowhere")), "does not exist");
    }

    [Fact]
    public void Rollback_without_an_earlier_current_version_is_a_one_line_error()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("prices.csv");
        SyntheticTicks.WriteCsv(csv, SyntheticTicks.Generate(2, 300, seed: 36));
        Assert.Equal(0, Run(["train", "--data", csv, "--out", dir.File("store"), "--epochs", "1", .. Small]).Code);
        AssertOneLineError(Run("models", "rollback", "--model-dir", dir.File("store")), "has no version that was current before v1");
    }

    [Fact]
    public void A_missing_data_file_is_a_one_line_error()
    {
        using var dir = new TempDirectory();
        AssertOneLineError(Run("train", "--data", dir.File("nope.csv"), "--out", dir.File("store")), $"data file '{dir.File("nope.csv")}' does not exist");
    }

    [Fact]
    public void A_bad_row_is_a_one_line_error_naming_the_line()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("eu.csv"), "timestamp,symbol,price\n1991.496154,DAX,1628.75\n");
        AssertOneLineError(Run("train", "--data", dir.File("eu.csv"), "--out", dir.File("store")), "line 2: timestamp '1991.496154' is a number");
    }

    [Fact]
    public void An_invalid_setting_is_a_one_line_error_naming_the_key()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("prices.csv");
        SyntheticTicks.WriteCsv(csv, SyntheticTicks.Generate(1, 50, seed: 33));
        AssertOneLineError(Run("train", "--data", csv, "--out", dir.File("store"), "--Model:HiddenSize=0"), "Model:HiddenSize");
        AssertOneLineError(Run("train", "--data", csv, "--out", dir.File("store"), "--Model:Layers=two"), "Model:Layers");
        AssertOneLineError(Run("train", "--data", csv, "--out", dir.File("store"), "--Model:Window=20", "--Model:BurnIn=30"), "Model:BurnIn");
    }

    [Fact]
    public void Bad_options_are_one_line_errors()
    {
        AssertOneLineError(Run("train", "--data", "x.csv"), "--out");
        AssertOneLineError(Run("backtest", "--data", "x.csv", "--out", "o", "--train-fraction", "1.5"), "--train-fraction");
        AssertOneLineError(Run("backtest", "--data", "x.csv", "--out", "o", "--horizon", "0"), "--horizon");
        AssertOneLineError(Run("train", "--data", "x.csv", "--out", "o", "stray"), "unrecognized argument 'stray'");
    }

    [Fact]
    public void Run_with_invalid_settings_fails_at_start_naming_the_key()
    {
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers="), "Kafka:BootstrapServers is required");
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", "--Influx:Url=ftp://x"), "Influx:Url 'ftp://x' is not an http or https URL");
        AssertOneLineError(Run("--Kafka:BootstrapServers=127.0.0.1:1", "--Kafka:DeadLetterTopic=ticks"), "Kafka:DeadLetterTopic must differ from Kafka:Topic");
        // The options classes' own attributes are checked too, naming the key.
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", "--Influx:Url=http://localhost:8086", "--Influx:BatchPoints=2000000"),
            "Influx:BatchPoints: The field BatchPoints must be between 1 and 1000000.");
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", "--Influx:Url=http://localhost:8086", "--Influx:MaxInFlight=17"),
            "Influx:MaxInFlight: The field MaxInFlight must be between 1 and 16.");
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", "--Http:Url=localhost:9464"), "Http:Url 'localhost:9464' is not an http or https URL");
    }

    [Fact]
    public void Run_with_invalid_learning_or_history_settings_fails_at_start_naming_the_key()
    {
        // (An empty or missing model store is not an error: the worker starts cold, serving naive forecasts.)
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", "--Learning:Interval=00:00:00"), "Learning:Interval must be positive");
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", "--Learning:CoverageMin=0.9"), "Learning:CoverageMin (0.9) must not exceed Learning:CoverageMax (0.85)");
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", "--History:MaxTicksPerSymbol=5"), "History:MaxTicksPerSymbol");
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", "--Model:HiddenSize=0"), "Model:HiddenSize");
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", "--Training:Epochs=0"), "Training:Epochs");
    }

    private static (int Code, string Out, string Error) RunWithEnvironment(string variable, string value, params string[] args)
    {
        Environment.SetEnvironmentVariable(variable, value);
        try
        {
            return Run(args);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void A_misspelt_setting_is_refused_naming_the_nearest_key_before_training()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("prices.csv");
        SyntheticTicks.WriteCsv(csv, SyntheticTicks.Generate(1, 50, seed: 37));
        var result = Run("train", "--data", csv, "--out", dir.File("store"), "--Model:HiddenSzie=8");
        AssertOneLineError(result, "unknown setting Model:HiddenSzie (did you mean Model:HiddenSize?)");
        Assert.False(Directory.Exists(dir.File("store")));
    }

    [Fact]
    public void Run_refuses_a_misspelt_setting_before_the_other_settings_are_checked_or_anything_starts()
    {
        using var dir = new TempDirectory();
        // No Kafka:BootstrapServers either: the unknown key is found first, so nothing is validated, built or connected.
        var result = Run("run", "--Model:HiddenSzie=8", $"--Model:Directory={dir.File("store")}", $"--History:Directory={dir.File("history")}");
        AssertOneLineError(result, "unknown setting Model:HiddenSzie (did you mean Model:HiddenSize?)");
        Assert.False(Directory.Exists(dir.File("store")));
        Assert.False(Directory.Exists(dir.File("history")));
    }

    [Fact]
    public void A_misspelt_setting_in_an_environment_variable_is_refused()
    {
        AssertOneLineError(RunWithEnvironment("Model__HiddenSzie", "8", "train", "--data", "x.csv", "--out", "store"),
            "unknown setting Model:HiddenSzie (did you mean Model:HiddenSize?)");
        AssertOneLineError(RunWithEnvironment("Model__HiddenSzie", "8", "run", "--Kafka:BootstrapServers=127.0.0.1:1"),
            "unknown setting Model:HiddenSzie (did you mean Model:HiddenSize?)");
    }

    public static TheoryData<string[]> EveryVerb() => new()
    {
        new[] { "run" },
        new[] { "train", "--data", "x.csv", "--out", "store" },
        new[] { "backtest", "--data", "x.csv", "--out", "bt" },
        new[] { "demo", "--seconds", "10" },
        new[] { "replay", "--data", "x.csv", "--bootstrap", "127.0.0.1:1" },
        new[] { "models", "list", "--model-dir", "store" },
        new[] { "models", "promote", "v1", "--model-dir", "store" },
        new[] { "models", "rollback" },
    };

    [Theory]
    [MemberData(nameof(EveryVerb))]
    public void Every_verb_refuses_a_misspelt_setting(string[] verb) =>
        AssertOneLineError(Run([.. verb, "--Serving:MaxSymbls=5"]), "unknown setting Serving:MaxSymbls (did you mean Serving:MaxSymbols?)");

    [Fact]
    public void A_setting_far_from_every_known_one_is_refused_without_a_suggestion()
    {
        var result = Run("train", "--data", "x.csv", "--out", "store", "--Model:Zzzzzzzzzz=1");
        AssertOneLineError(result, "unknown setting Model:Zzzzzzzzzz");
        Assert.DoesNotContain("did you mean", result.Error);
    }

    [Fact]
    public void Known_settings_in_any_case_pass_through_keys_and_unowned_sections_are_accepted()
    {
        // Each run gets past the key check and fails on the next one, which shows the key was accepted (and bound).
        AssertOneLineError(Run("run", "--Kafka:Consumer:fetch.min.bytes=1", "--Foo:Bar=1", "--Logging:LogLevel:Default=Warning"), "Kafka:BootstrapServers is required");
        AssertOneLineError(Run("run", "--Kafka:BootstrapServers=127.0.0.1:1", "--model:hiddensize=0"), "Model:HiddenSize");
        AssertOneLineError(Run("train", "--data", "x.csv", "--out", "store", "--kafka:producer:acks=all", "--model:hiddensize=0"), "Model:HiddenSize");
    }

    /// <summary>A CSV of two synthetic symbols and a store holding one untrained version of the small model.</summary>
    private static (string Csv, ModelStore Store) PricesAndStore(TempDirectory dir, int ticks, int seed)
    {
        var csv = dir.File("prices.csv");
        SyntheticTicks.WriteCsv(csv, SyntheticTicks.Generate(2, ticks, seed));
        var store = new ModelStore(dir.File("store"));
        using (var network = new LstmForecaster(SmallModel.Settings))
            store.Add(network, Calibration.Identity(SmallModel.Settings.Horizons), SmallModel.Metadata());
        return (csv, store);
    }

    [Fact]
    public void Backtest_of_a_stored_model_warns_about_a_given_shape_setting_the_model_has_baked_in()
    {
        using var dir = new TempDirectory();
        var (csv, store) = PricesAndStore(dir, ticks: 200, seed: 38);

        var result = Run("backtest", "--data", csv, "--model", store.Directory, "--out", dir.File("bt"), "--Model:Horizons=5", "--Model:HiddenSize=16");
        Assert.True(result.Code == 0, result.Error);
        Assert.Equal(
            "warning: Model:Horizons is 5 in the configuration but model v1 was trained with 2; serving with 2 " +
            "(Model:* shape settings apply to the first model trained from an empty store; train a new version to change them)",
            Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Backtest_of_a_store_whose_current_version_is_naive_scores_the_last_price()
    {
        using var dir = new TempDirectory();
        var (csv, store) = PricesAndStore(dir, ticks: 300, seed: 39);
        store.SetCurrent(NaiveModel.Id, "retired");

        var result = Run("backtest", "--data", csv, "--model", store.Directory, "--out", dir.File("bt"));
        Assert.True(result.Code == 0, result.Error);
        Assert.Contains("is naive: backtesting the last-price forecast", result.Error, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("bt/metrics.json")));
        Assert.Equal("naive", json.RootElement.GetProperty("model").GetString());
        var overall = json.RootElement.GetProperty("overall");
        Assert.True(overall.GetProperty("n").GetInt32() > 100);
        // The last price is the forecast: its error is the naive error, point for point.
        Assert.Equal(1.0, overall.GetProperty("rel_mae").GetDouble(), 12);
        Assert.InRange(overall.GetProperty("coverage80").GetDouble(), 0.6, 0.95);
    }

    [Fact]
    public void Backtest_of_a_store_without_a_current_version_is_a_one_line_error()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("prices.csv");
        SyntheticTicks.WriteCsv(csv, SyntheticTicks.Generate(1, 50, seed: 34));
        Directory.CreateDirectory(dir.File("empty"));
        AssertOneLineError(Run("backtest", "--data", csv, "--model", dir.File("empty"), "--out", dir.File("bt")), "has no current version");
    }
}
