using Microsoft.Extensions.Logging;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;
using TorchSharp;
using StreamLstm.Telemetry;

namespace StreamLstm.Tests.Pipeline;

public class TickProcessorTests
{
    private static ModelVersion Model(int horizons = 2, int warmup = 10)
    {
        torch.manual_seed(3);
        var settings = new ModelSettings { HiddenSize = 8, Layers = 1, Horizons = horizons, Warmup = warmup };
        return new ModelVersion(new LstmForecaster(settings), new ModelConfiguration(settings, Calibration.Identity(horizons)), new ModelMetadata { Version = "v1" });
    }

    private static IngestedTick[] Ingest(IEnumerable<Tick> ticks) =>
        ticks.Select((t, i) => new IngestedTick(t, new SourcePosition(0, i))).ToArray();

    [Fact]
    public void Every_tick_gets_a_price_point_and_every_warm_tick_a_forecast_per_horizon()
    {
        using var model = Model(horizons: 2, warmup: 10);
        var counters = new PipelineCounters();
        var processor = new TickProcessor(model, new ServingSettings(), counters);
        var ticks = Ingest(SyntheticTicks.Generate(3, 50, seed: 1));
        var batch = new PointBatch();
        processor.Process(ticks, batch);

        var lines = batch.Lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Per symbol: 50 prices; forecasts from the tick with 10 returns on: 40 ticks x 2 horizons.
        Assert.Equal(3 * 50, lines.Count(l => l.StartsWith("price,")));
        Assert.Equal(3 * 40 * 2, lines.Count(l => l.StartsWith("forecast,")));
        Assert.Equal(lines.Length, batch.Points);
        Assert.Equal(150, batch.Positions.Count);
        Assert.Equal(150, counters.Ticks);
        Assert.Equal(120, counters.Forecasts);
        Assert.Equal(3, processor.Symbols);
    }

    [Fact]
    public void Each_forecast_gets_a_forecast_error_point_when_its_actual_arrives()
    {
        using var model = Model(horizons: 2, warmup: 10);
        var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
        var ticks = Ingest(SyntheticTicks.Generate(1, 30, seed: 4));
        var batch = new PointBatch();
        processor.Process(ticks, batch);
        var lines = batch.Lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // Forecasts are made at ticks 10..29; the one for h ticks ahead is resolved at tick t + h <= 29.
        var errors = lines.Where(l => l.StartsWith("forecast_error,")).ToList();
        Assert.Equal(30 - 10 - 1, errors.Count(l => l.StartsWith("forecast_error,horizon=1,")));
        Assert.Equal(30 - 10 - 2, errors.Count(l => l.StartsWith("forecast_error,horizon=2,")));

        // The error point at tick 12 for horizon 2 scores the forecast made at tick 10 against tick 12's price.
        var made = lines.Single(l => l.StartsWith("forecast,horizon=2,") && l.EndsWith(" " + Ns(ticks[10])));
        var scored = errors.Single(l => l.StartsWith("forecast_error,horizon=2,") && l.EndsWith(" " + Ns(ticks[12])));
        double served = Field(made, "value"), lower = Field(made, "lower"), upper = Field(made, "upper");
        double actual = ticks[12].Tick.Price, last = ticks[10].Tick.Price;
        Assert.Equal(Math.Abs(actual - served), Field(scored, "abs_error"), 9);
        Assert.Equal(Math.Abs(actual - last), Field(scored, "naive_abs_error"), 9);
        Assert.Equal(actual >= lower && actual <= upper ? 1 : 0, Field(scored, "covered"));
        Assert.Equal(made.Split(',')[2], scored.Split(',')[2]); // same model tag
        // The served forecast and its interval ride along, to be lined up with the actual at the time they were for.
        Assert.Equal(served, Field(scored, "forecast"));
        Assert.Equal(lower, Field(scored, "lower"));
        Assert.Equal(upper, Field(scored, "upper"));
    }

    private static string Ns(IngestedTick tick) => LineProtocol.Nanoseconds(tick.Tick.Timestamp).ToString();

    private static double Field(string line, string name) =>
        double.Parse(line.Split(' ')[1].Split(',').Single(f => f.StartsWith(name + "=")).Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_swapped_in_model_re_warmed_from_the_window_forecasts_as_if_it_had_served_from_the_start()
    {
        using var first = Model(horizons: 2, warmup: 10);
        torch.manual_seed(99);
        var settings = first.Settings;
        using var second = new ModelVersion(new LstmForecaster(settings), new ModelConfiguration(settings, Calibration.Identity(2)), new ModelMetadata { Version = "v2" });
        // Fixed interval scale and a gate that always trusts the model: forecasts then depend on the model and state only.
        var serving = new ServingSettings { IntervalLearningRate = 0, SkillMargin = -1e6 };
        var ticks = Ingest(SyntheticTicks.Generate(3, 60, seed: 7));
        int before = 3 * 45; // 45 ticks per symbol: within the 60-row window, so the window holds the whole history

        var swapped = new TickProcessor(first, serving, new PipelineCounters());
        swapped.Process(ticks.AsSpan(0, before), new PointBatch());
        Assert.Same(first, swapped.SwapModel(second));
        Assert.Same(second, swapped.Model);
        var after = new PointBatch();
        swapped.Process(ticks.AsSpan(before), after);

        var fromStart = new TickProcessor(second, serving, new PipelineCounters());
        fromStart.Process(ticks.AsSpan(0, before), new PointBatch());
        var expected = new PointBatch();
        fromStart.Process(ticks.AsSpan(before), expected);

        var a = Parsed(after).Where(kv => kv.Key.StartsWith("forecast,")).ToDictionary();
        var b = Parsed(expected).Where(kv => kv.Key.StartsWith("forecast,")).ToDictionary();
        Assert.Equal(3 * 15 * 2, a.Count);
        Assert.All(a.Keys, k => Assert.Contains("model=v2", k));
        Assert.Equal(b.Keys.Order(), a.Keys.Order());
        foreach (var (key, values) in a)
            for (int i = 0; i < values.Length; i++)
                Assert.True(Math.Abs(values[i] - b[key][i]) <= 1e-6 * Math.Abs(values[i]), $"{key}: {values[i]} vs {b[key][i]}");
    }

    [Fact]
    public void One_big_batch_gives_exactly_the_points_of_one_tick_at_a_time()
    {
        using var model = Model();
        var ticks = Ingest(SyntheticTicks.Generate(4, 40, seed: 2));
        var together = new PointBatch();
        new TickProcessor(model, new ServingSettings(), new PipelineCounters()).Process(ticks, together);

        var single = new PointBatch();
        var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
        foreach (var t in ticks) processor.Process([t], single);

        // Batched matrix products may differ from single-row ones in the last bits: same points, same values to 1e-6.
        var a = Parsed(single);
        var b = Parsed(together);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (key, values) in a)
            for (int i = 0; i < values.Length; i++)
                Assert.True(Math.Abs(values[i] - b[key][i]) <= 1e-6 * Math.Abs(values[i]), $"{key}: {values[i]} vs {b[key][i]}");
    }

    [Fact]
    public void Symbols_still_warming_up_stepped_beside_warm_ones_do_not_disturb_their_forecasts()
    {
        using var model = Model(horizons: 2, warmup: 10);
        var counters = new PipelineCounters();
        var processor = new TickProcessor(model, new ServingSettings(), counters);
        var warm = SyntheticTicks.Generate(1, 40, seed: 8);
        // New symbols join half way, interleaved with the warm ones, so batches mix cold and warm symbols.
        var late = SyntheticTicks.Generate(4, 20, seed: 9).Select(t => t with { Symbol = "N" + t.Symbol, Timestamp = t.Timestamp.AddMinutes(20) });
        var ticks = Ingest(late.Concat(warm).OrderBy(t => t.Timestamp)); // at equal times the cold symbols come first
        var batch = new PointBatch();
        processor.Process(ticks, batch);
        var lines = batch.Lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal((40 - 10) * 2, lines.Count(l => l.StartsWith("forecast,") && l.Contains("symbol=S")));
        Assert.Equal(4 * (20 - 10) * 2, lines.Count(l => l.StartsWith("forecast,") && l.Contains("symbol=NS")));
    }

    [Fact]
    public void Late_ticks_are_skipped_and_counted_but_their_positions_are_done()
    {
        using var model = Model();
        var counters = new PipelineCounters();
        var processor = new TickProcessor(model, new ServingSettings(), counters);
        var t0 = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var batch = new PointBatch();
        processor.Process(Ingest([new Tick("X", t0.AddMinutes(2), 10), new Tick("X", t0.AddMinutes(1), 11), new Tick("X", t0.AddMinutes(3), 12)]), batch);
        Assert.Equal(1, counters.Late);
        Assert.Equal(2, batch.Points);
        Assert.Equal(3, batch.Positions.Count);
        Assert.DoesNotContain("value=11 ", batch.Lines.ToString());
    }

    [Fact]
    public void A_symbol_stuck_behind_a_tick_that_jumped_ahead_is_named_once_after_the_late_warning_count()
    {
        using var model = Model();
        var counters = new PipelineCounters();
        var logger = new ListLoggerFactory();
        var processor = new TickProcessor(model, new ServingSettings(), counters, ticks: new TickSettings { LateWarning = 5 }, logger: logger);
        var t0 = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        // JUMP: 3 good ticks, one a day ahead, then 12 ticks in their true time order, late behind it; OK beside it.
        var ticks = new List<Tick>();
        for (int i = 0; i < 3; i++) ticks.Add(new Tick("JUMP", t0.AddMinutes(i), 10 + i));
        ticks.Add(new Tick("JUMP", t0.AddDays(1), 20));
        for (int i = 3; i < 15; i++)
        {
            ticks.Add(new Tick("JUMP", t0.AddMinutes(i), 10 + i));
            ticks.Add(new Tick("OK", t0.AddMinutes(i), 50 + i));
        }
        // Split over batches, as a stream would be.
        foreach (var chunk in Ingest(ticks).Chunk(5)) processor.Process(chunk, new PointBatch());

        Assert.Equal(12, counters.Late);
        Assert.Equal(12, processor.LateTicks("JUMP"));
        Assert.Equal(0, processor.LateTicks("OK"));
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.StartsWith("Symbol JUMP: 5 ticks in a row were earlier than its last tick at 2024-01-02T00:00:00.0000000Z", warning.Message);
        Assert.Contains("'A symbol stuck behind a bad tick' in the README", warning.Message);

        // Once a tick is later than the bad one, the symbol is forecast again, and that is said too.
        processor.Process(Ingest([new Tick("JUMP", t0.AddDays(1).AddMinutes(1), 21)]), new PointBatch());
        Assert.Contains(logger.Entries, e => e.Message == "Symbol JUMP is forecast again after 12 late ticks in a row");
    }

    [Fact]
    public void Ticks_of_one_symbol_with_the_same_time_are_all_kept_one_nanosecond_apart()
    {
        using var model = Model();
        var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
        var t0 = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var batch = new PointBatch();
        processor.Process(Ingest([new Tick("X", t0, 10), new Tick("X", t0, 11), new Tick("X", t0, 12), new Tick("Y", t0, 5)]), batch);
        var ns = LineProtocol.Nanoseconds(t0);
        var text = batch.Lines.ToString();
        Assert.Contains($"price,symbol=X value=10 {ns}\n", text);
        Assert.Contains($"price,symbol=X value=11 {ns + 1}\n", text);
        Assert.Contains($"price,symbol=X value=12 {ns + 2}\n", text);
        Assert.Contains($"price,symbol=Y value=5 {ns}\n", text);
    }

    /// <summary>Points keyed by measurement, tags and time, with their field values.</summary>
    private static Dictionary<string, double[]> Parsed(PointBatch batch) =>
        batch.Lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(
            line => line.Split(' ')[0] + " " + line.Split(' ')[2],
            line => line.Split(' ')[1].Split(',').Select(f => double.Parse(f.Split('=')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray());

    [Fact]
    public void A_restarted_processor_re_warmed_from_history_forecasts_exactly_what_one_that_never_stopped_forecasts()
    {
        using var model = Model(horizons: 2, warmup: 10);
        using var dir = new TempDirectory();
        var settings = new HistorySettings { Directory = dir.File("history") };
        var ticks = Ingest(SyntheticTicks.Generate(3, 120, seed: 8));
        var (before, after) = (ticks[..240], ticks[240..]);

        var reference = new PointBatch();
        new TickProcessor(model, new ServingSettings(), new PipelineCounters()).Process(ticks, reference);

        using (var history = new TickHistory(settings, "ticks"))
            new TickProcessor(model, new ServingSettings(), new PipelineCounters(), history, rewarmTicks: 10_000).Process(before, new PointBatch());
        var counters = new PipelineCounters();
        var resumed = new PointBatch();
        using (var history = new TickHistory(settings, "ticks"))
            new TickProcessor(model, new ServingSettings(), counters, history, rewarmTicks: 10_000).Process(after, resumed);

        // Every point of the resumed part (forecasts of its first tick included) equals the uninterrupted run's.
        var expected = reference.Lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= LineProtocol.Nanoseconds(after[0].Tick.Timestamp));
        Assert.Equal(expected, resumed.Lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(3, counters.Rewarmed);
        Assert.Contains(resumed.Lines.ToString().Split('\n'), l => l.StartsWith("forecast,") && l.EndsWith($" {LineProtocol.Nanoseconds(after[0].Tick.Timestamp)}"));
    }

    [Fact]
    public void Ticks_delivered_again_after_a_crash_are_processed_again_not_taken_for_late_ones()
    {
        using var model = Model(horizons: 2, warmup: 10);
        using var dir = new TempDirectory();
        var settings = new HistorySettings { Directory = dir.File("history") };
        var ticks = Ingest(SyntheticTicks.Generate(2, 60, seed: 9));
        using (var history = new TickHistory(settings, "ticks"))
            new TickProcessor(model, new ServingSettings(), new PipelineCounters(), history).Process(ticks[..100], new PointBatch());
        // The points of ticks 80..99 were never acknowledged: the consumer resumes at offset 80.
        var counters = new PipelineCounters();
        var batch = new PointBatch();
        using (var history = new TickHistory(settings, "ticks"))
            new TickProcessor(model, new ServingSettings(), counters, history).Process(ticks[80..], batch);
        Assert.Equal(0, counters.Late);
        Assert.Equal(40, batch.Lines.ToString().Split('\n').Count(l => l.StartsWith("price,")));
        Assert.Equal(40 * 2, batch.Lines.ToString().Split('\n').Count(l => l.StartsWith("forecast,")));
    }

    [Fact]
    public void A_history_the_disk_refuses_costs_the_history_not_the_forecasts()
    {
        using var model = Model(horizons: 2, warmup: 10);
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("not-a-folder"), "a file where the history folder should be");
        var counters = new PipelineCounters();
        using var history = new TickHistory(new HistorySettings { Directory = dir.File("not-a-folder") }, "ticks");
        var batch = new PointBatch();
        new TickProcessor(model, new ServingSettings(), counters, history).Process(Ingest(SyntheticTicks.Generate(2, 30, seed: 10)), batch);
        Assert.Equal(2 * 20 * 2, batch.Lines.ToString().Split('\n').Count(l => l.StartsWith("forecast,")));
        Assert.True(counters.HistoryFailures > 0);
        Assert.NotNull(counters.LastHistoryFailure);
    }

    [Fact]
    public void A_swap_re_warmed_beside_the_stream_forecasts_what_a_swap_made_at_once_after_the_same_ticks_forecasts()
    {
        using var first = Model(horizons: 2, warmup: 10);
        torch.manual_seed(11);
        var settings = first.Settings;
        using var second = new ModelVersion(new LstmForecaster(settings), new ModelConfiguration(settings, Calibration.Identity(2)), new ModelMetadata { Version = "v2" });
        using var dir = new TempDirectory();
        var ticks = Ingest(SyntheticTicks.Generate(3, 150, seed: 12));
        var (part1, part2, part3) = (ticks[..240], ticks[240..300], ticks[300..]);

        using var historyA = new TickHistory(new HistorySettings { Directory = dir.File("a") }, "ticks");
        var beside = new TickProcessor(first, new ServingSettings(), new PipelineCounters(), historyA, rewarmTicks: 10_000);
        beside.Process(part1, new PointBatch());
        var preparation = beside.PrepareSwap(second);
        beside.Process(part2, new PointBatch());   // the stream goes on while the replay runs
        preparation.Replay();
        Assert.Same(first, beside.CompleteSwap(preparation));
        var a = new PointBatch();
        beside.Process(part3, a);

        using var historyB = new TickHistory(new HistorySettings { Directory = dir.File("b") }, "ticks");
        var atOnce = new TickProcessor(first, new ServingSettings(), new PipelineCounters(), historyB, rewarmTicks: 10_000);
        atOnce.Process(part1, new PointBatch());
        atOnce.Process(part2, new PointBatch());
        atOnce.SwapModel(second);
        var b = new PointBatch();
        atOnce.Process(part3, b);

        Assert.Equal(b.Lines.ToString(), a.Lines.ToString());
        Assert.Contains(",model=v2,", a.Lines.ToString());
    }
}
