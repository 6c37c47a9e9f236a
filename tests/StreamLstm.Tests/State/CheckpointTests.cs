using StreamLstm.Features;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Pipeline;
using StreamLstm.Sink;
using StreamLstm.State;
using StreamLstm.Telemetry;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;
using TorchSharp;

namespace StreamLstm.Tests.State;

public class CheckpointTests
{
    private const int Partitions = 2;

    private static ModelVersion Model(string version = "v1", int seed = 3, string features = FeatureSets.Price)
    {
        torch.manual_seed(seed);
        var settings = new ModelSettings { HiddenSize = 8, Layers = 2, Horizons = 3, Warmup = 10, Window = 20, BurnIn = 5 }.WithFeatures(features);
        return new ModelVersion(new LstmForecaster(settings), new ModelConfiguration(settings, Calibration.Identity(3)), new ModelMetadata { Version = version });
    }

    /// <summary>
    /// Synthetic ticks of <paramref name="symbols"/> symbols spread over two partitions, each partition's offsets counting
    /// from 0; every 7th tick of a symbol repeats its time and every 11th comes late, so repeat counts and late-tick
    /// counts are part of the state too.
    /// </summary>
    private static IngestedTick[] Stream(int symbols, int ticks, int seed = 5, bool quotes = false)
    {
        var offsets = new long[Partitions];
        var perSymbol = new Dictionary<string, int>();
        var result = new List<IngestedTick>();
        foreach (var tick in SyntheticTicks.Generate(symbols, ticks, seed))
        {
            int n = perSymbol[tick.Symbol] = perSymbol.GetValueOrDefault(tick.Symbol) + 1;
            var t = n % 7 == 0 ? tick with { Timestamp = tick.Timestamp - TimeSpan.FromMinutes(1) }
                : n % 11 == 0 ? tick with { Timestamp = tick.Timestamp - TimeSpan.FromMinutes(5) }
                : tick;
            int partition = int.Parse(tick.Symbol[1..]) % Partitions;
            // A quote feed: a spread that varies, the price anywhere within it.
            if (quotes) t = t with { Bid = Math.Round(t.Price * (1 - 0.0004 * (1 + n % 3)), 6), Ask = Math.Round(t.Price * (1 + 0.0002 * (1 + n % 5)), 6) };
            result.Add(new IngestedTick(t, new SourcePosition(partition, offsets[partition]++)));
        }
        return result.ToArray();
    }

    /// <summary>Runs <paramref name="ticks"/> in micro-batches of <paramref name="batch"/>, writing every point into <paramref name="influx"/> (a rewrite replaces, as in InfluxDB).</summary>
    private static void Run(TickProcessor processor, ReadOnlySpan<IngestedTick> ticks, Dictionary<string, string> influx, int batch = 37)
    {
        for (int i = 0; i < ticks.Length; i += batch)
        {
            var points = new PointBatch();
            processor.Process(ticks.Slice(i, Math.Min(batch, ticks.Length - i)), points);
            foreach (var line in points.Lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                influx[parts[0] + " " + parts[2]] = parts[1];
            }
        }
    }

    private static Dictionary<int, List<KeyValuePair<string, byte[]>>> Changelog(params StateCheckpoint[] checkpoints)
    {
        // Compaction: the newest record of each symbol, per partition.
        var latest = new Dictionary<int, Dictionary<string, byte[]>>();
        foreach (var checkpoint in checkpoints)
            foreach (var p in checkpoint.Partitions)
                foreach (var (symbol, value) in p.Records)
                    (latest.TryGetValue(p.Partition, out var d) ? d : latest[p.Partition] = [])[symbol] = value;
        return latest.ToDictionary(kv => kv.Key, kv => kv.Value.ToList());
    }

    [Fact]
    public void A_checkpoint_round_trip_is_exact()
    {
        using var model = Model();
        var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
        Run(processor, Stream(4, 120), []);
        var checkpoint = processor.Checkpoint()!;

        Assert.Equal(Partitions, checkpoint.Partitions.Count);
        Assert.Equal(4, checkpoint.Records);
        foreach (var partition in checkpoint.Partitions)
        {
            foreach (var (symbol, value) in partition.Records)
            {
                Assert.True(SymbolStateCodec.TryDecode(value, symbol, model.Settings, new ServingSettings(), out var restored, out var problem), problem);
                Assert.Equal("v1", restored.Model);
                Assert.Equal(partition.Through, restored.Through);
                Assert.Equal(partition.Partition, restored.State.Partition);
                Assert.True(restored.State.LateTicks > 0);
                Assert.Equal(processor.LateTicks(symbol), restored.State.LateTicks);
                // Every field is written, so writing the read state again gives the same bytes.
                Assert.Equal(value, SymbolStateCodec.Encode(restored.State, restored.Model, restored.Through));
            }
        }
        // Nothing changed since: the next checkpoint is empty.
        Assert.Null(processor.Checkpoint());
    }

    /// <summary>The output profiles, the lean ones with intervals short enough for the synthetic minute ticks.</summary>
    private static OutputSettings Output(string profile) => profile switch
    {
        "full" => new OutputSettings(),
        "skill" => new OutputSettings { Profile = "skill", SkillInterval = TimeSpan.FromMinutes(30) },
        _ => new OutputSettings { Profile = profile, SkillInterval = TimeSpan.FromMinutes(30), Horizons = "1,3", MinInterval = TimeSpan.FromMinutes(4) },
    };

    [Theory]
    [InlineData("full", false)]
    [InlineData("skill", false)]
    [InlineData("lean", false)]
    [InlineData("full", true)]
    public void Restore_plus_replay_gives_exactly_the_points_of_an_uninterrupted_run(string profile, bool quotes)
    {
        // With quotes: a quote model on quote ticks, whose features' state (spread, mid, volume) is restored too.
        using var model = Model(features: quotes ? FeatureSets.Quote : FeatureSets.Price);
        var serving = new ServingSettings();
        var output = Output(profile);
        // 1,500 ticks per symbol: longer than the 1,000-tick re-warm, so only exact state can match.
        var ticks = Stream(4, 1500, quotes: quotes);
        var uninterrupted = new Dictionary<string, string>();
        Run(new TickProcessor(model, serving, new PipelineCounters()) { Output = output }, ticks, uninterrupted);
        // The lean profiles' sums and thinning are part of the state: skill points (and their thinned forecasts) match too.
        if (profile != "full") Assert.Contains(uninterrupted.Keys, k => k.StartsWith("skill,", StringComparison.Ordinal));

        // A worker checkpoints twice, processes more, and dies; its points so far are in InfluxDB.
        var influx = new Dictionary<string, string>();
        var first = new TickProcessor(model, serving, new PipelineCounters()) { Output = output };
        Run(first, ticks.AsSpan(0, 2000), influx);
        var early = first.Checkpoint()!;
        Run(first, ticks.AsSpan(2000, 1000), influx);
        var late = first.Checkpoint()!;
        Run(first, ticks.AsSpan(3000, 777), influx);

        // The next one restores the changelog and reads each partition again from an offset before the checkpoint (the
        // committed one lagged): ticks the checkpoint covers are skipped, the rest rewrite identical points.
        var counters = new PipelineCounters();
        var second = new TickProcessor(model, serving, counters) { Output = output };
        foreach (var (partition, records) in Changelog(early, late))
        {
            var outcome = second.Restore(partition, records);
            Assert.Equal(2, outcome.Restored);
            Assert.Empty(outcome.Refused);
        }
        long resume = late.Partitions.Min(p => p.Through) - 300;
        var again = ticks.Where(t => t.Position.Offset >= resume).ToArray();
        Run(second, again, influx);

        Assert.True(counters.CheckpointCovered > 0);
        Assert.Equal(0, counters.Rewarmed);
        Assert.Equal(uninterrupted.Count, influx.Count);
        Assert.Equal(uninterrupted.Keys.Order(), influx.Keys.Order());
        foreach (var (key, fields) in uninterrupted) Assert.True(fields == influx[key], $"{key}: {fields} vs {influx[key]}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_record_of_an_older_format_restores_a_price_model_exactly(byte version)
    {
        // Versions 1 and 2 had no quote features (their state, and rows of the price features only) and 1 no output
        // state; a price model reads none of those, so a restore from them plus a replay gives the uninterrupted points.
        using var model = Model();
        var serving = new ServingSettings();
        var ticks = Stream(4, 300);
        var uninterrupted = new Dictionary<string, string>();
        Run(new TickProcessor(model, serving, new PipelineCounters()), ticks, uninterrupted);

        var influx = new Dictionary<string, string>();
        var first = new TickProcessor(model, serving, new PipelineCounters());
        Run(first, ticks.AsSpan(0, 700), influx);
        var checkpoint = first.Checkpoint()!;
        var encoder = new SymbolStateCodec.Encoder();
        var second = new TickProcessor(model, serving, new PipelineCounters());
        foreach (var partition in checkpoint.Partitions)
        {
            var old = partition.Records.Select(r =>
            {
                Assert.True(SymbolStateCodec.TryDecode(r.Value, r.Key, model.Settings, serving, out var state, out var problem), problem);
                var bytes = encoder.Encode(state.State, state.Model, state.Through, version);
                Assert.Equal(version, bytes[0]);
                Assert.True(bytes.Length < r.Value.Length, "an older record is shorter: no quote state, narrower rows");
                return new KeyValuePair<string, byte[]>(r.Key, bytes);
            }).ToList();
            var outcome = second.Restore(partition.Partition, old);
            Assert.Equal(old.Count, outcome.Restored);
            Assert.Empty(outcome.Refused);
        }
        long resume = checkpoint.Partitions.Min(p => p.Through) - 100;
        Run(second, ticks.Where(t => t.Position.Offset >= resume).ToArray(), influx);

        Assert.Equal(uninterrupted.Count, influx.Count);
        foreach (var (key, fields) in uninterrupted) Assert.True(fields == influx[key], $"{key}: {fields} vs {influx[key]}");
    }

    [Fact]
    public void An_unreadable_record_or_another_models_falls_back_to_a_re_warm_from_the_history()
    {
        using var model = Model();
        using var other = Model("v2", seed: 4);
        using var temp = new TempDirectory();
        var ticks = Stream(4, 100);
        var first = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
        Run(first, ticks, []);
        var records = first.Checkpoint()!.Partitions.Single(p => p.Partition == 0).Records.ToList();
        var good = records[0];
        var corrupt = new KeyValuePair<string, byte[]>(records[1].Key, records[1].Value[..40]);
        var foreign = SymbolStateCodec.Encode(new SymbolState("S9", other.Settings, new ServingSettings()), "v2", 99);

        var counters = new PipelineCounters();
        using var history = new TickHistory(new HistorySettings { Directory = temp.Path }, "ticks");
        history.Open(0);
        foreach (var t in ticks.Where(t => t.Position.Partition == 0))
            history.Append(0, t.Position.Offset, t.Tick.Symbol, t.Tick.Timestamp, t.Tick.Price);
        history.Flush();
        history.Close(0);
        var second = new TickProcessor(model, new ServingSettings(), counters, history);
        var outcome = second.Restore(0, [good, corrupt, new("S9", foreign), new("S7", [9, 1, 2])]);

        Assert.Equal(1, outcome.Restored);
        Assert.Equal(3, outcome.Refused.Count);
        Assert.Contains("cannot be read", outcome.Refused.Single(r => r.Symbol == corrupt.Key).Problem);
        Assert.Contains("format version 9", outcome.Refused.Single(r => r.Symbol == "S7").Problem);
        Assert.Contains("v2", outcome.Refused.Single(r => r.Symbol == "S9").Problem);

        // The next tick of the unreadable symbol re-warms it from its history; the restored one needs none.
        var next = SyntheticTicks.Generate(4, 101, 5).Where(t => t.Symbol == corrupt.Key || t.Symbol == good.Key).TakeLast(2)
            .Select((t, i) => new IngestedTick(t with { Timestamp = t.Timestamp.AddHours(1) }, new SourcePosition(0, 1000 + i))).ToArray();
        second.Process(next, new PointBatch());
        Assert.Equal(1, counters.Rewarmed);
        Assert.Equal(2, second.Symbols);
    }

    [Fact]
    public void A_failed_checkpoint_makes_the_next_carry_every_symbol_of_its_partitions()
    {
        using var model = Model();
        var processor = new TickProcessor(model, new ServingSettings(), new PipelineCounters());
        var ticks = Stream(4, 50);
        Run(processor, ticks, []);
        Assert.Equal(4, processor.Checkpoint()!.Records);

        // One more tick of S0 (partition 0): only S0 changed.
        var more = new IngestedTick(new Tick("S0", new DateTime(2024, 2, 1, 0, 0, 0, DateTimeKind.Utc), 51, 1), new SourcePosition(0, 500));
        processor.Process([more], new PointBatch());
        var next = processor.Checkpoint()!;
        Assert.Equal(["S0"], next.Partitions.Single().Records.Select(r => r.Key));

        processor.CheckpointFailed([0]);
        var retry = processor.Checkpoint()!;
        Assert.Equal(["S0", "S2"], retry.Partitions.Single().Records.Select(r => r.Key).Order());
        Assert.Equal(500, retry.Partitions.Single().Through);
    }
}
