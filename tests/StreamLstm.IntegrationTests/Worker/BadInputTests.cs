using System.Globalization;
using Microsoft.Extensions.Logging;
using StreamLstm.Inference;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Learning;
using StreamLstm.Pipeline;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;
using StreamLstm.Telemetry;

namespace StreamLstm.IntegrationTests.Worker;

/// <summary>
/// Input that passes a schema check but is not usable, sent through the broker to the whole worker (history included)
/// writing to InfluxDB: each message ends where it should, and every other symbol's later ticks are still forecast.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class BadInputTests(KafkaFixture kafka, InfluxFixture influx)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private Task<long> CountAsync(string bucket, string measurement, string symbol) => influx.CountAsync(bucket, measurement, $"\"symbol\" = '{symbol}'");

    private static string Json(string symbol, string ts, string price = "1.5", string extra = "") =>
        $"{{\"symbol\":\"{symbol}\",\"ts\":{ts},\"price\":{price}{extra}}}";

    [Fact]
    public async Task Ticks_that_look_valid_but_are_not_end_where_they_should_and_every_other_symbol_is_still_forecast()
    {
        var topic = kafka.CreateTopicName("bad");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        string[] symbols = ["AAA", "BBB", "UAESC", "JUMP"];
        const int PerSymbol = 24, Flood = 30, MaxSymbols = 6;
        var ticks = WorkerHarness.Ticks(symbols, PerSymbol);
        var first = ticks.Take(symbols.Length * PerSymbol / 2).ToList();
        var second = ticks.Skip(first.Count).ToList();

        using var stop = new CancellationTokenSource();
        var counters = new PipelineCounters();
        using var loggers = new ListLoggerFactory();
        var (service, running) = harness.StartService(stop.Token, new LearningSettings { Enabled = false }, counters,
            serving: new ServingSettings { MaxSymbols = MaxSymbols }, ticks: new TickSettings { LateWarning = 5 }, loggers: loggers);

        // The real symbols are seen first, so they are the ones that have state when the flood of new symbols comes.
        await WorkerHarness.PublishAsync(kafka, topic, first);
        await Poll.UntilAsync(_ => Task.FromResult(counters.Ticks >= first.Count), Patience, "the first half processed", () => $"ticks {counters.Ticks}");

        var soon = DateTime.UtcNow.AddMinutes(1).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var bad = new (string Key, string Value, string Reason)[]
        {
            ("UAESC", Json("UAESC", "\"2099-01-01T00:00:00Z\""), "'ts' 2099-01-01T00:00:00.000Z is "),
            ("UAESC", Json("UAESC", "1704070800000000"), "it looks like epoch microseconds (2024-01-01T01:00:00.000Z)"),
            ("UAESC", Json("UAESC", "1704070800000000000"), "it looks like epoch nanoseconds (2024-01-01T01:00:00.000Z)"),
            ("AAA", Json("AAA", "\"2024-01-01T01:00:00Z\"", "1e400"), "'price' 1e400 is not a positive finite number"),
            ("AAA", Json("AAA", "\"2024-01-01T01:00:00Z\"", extra: ",\"volume\":-10"), "'volume' -10 is not a non-negative number"),
            ("AAA", Json("AAA", "\"2024-01-01T01:00:00Z\"", extra: ",\"volume\":\"lots\""), "'volume' is a string, not a number"),
            ("BBB", Json("BBB", "\"2024-01-01T01:00:00Z\"", extra: ",\"price\":2"), "'price' is given more than once"),
            ("BBB", Json("BBB", "\"2024-01-01T01:00:00Z\"", extra: ",\"bid\":101,\"ask\":100"), "'bid' 101 is above 'ask' 100"),
            ("BBB", Json("BBB", "\"2024-01-01T01:00:00Z\"", extra: ",\"bid\":-1,\"ask\":100"), "'bid' -1 is not a positive finite number"),
        };
        foreach (var (key, value, _) in bad) await kafka.ProduceAsync(topic, key, value);
        // A jump forward within the skew: accepted, and every later JUMP tick is late behind it.
        await kafka.ProduceAsync(topic, "JUMP", Json("JUMP", $"\"{soon}\"", "200"));
        // A producer inventing symbols: two fit under the bound, the rest are refused.
        for (int i = 0; i < Flood; i++) await kafka.ProduceAsync(topic, $"NEW{i:D2}", Json($"NEW{i:D2}", "\"2024-01-01T05:00:00Z\""));
        await WorkerHarness.PublishAsync(kafka, topic, second);

        int refused = Flood - (MaxSymbols - symbols.Length);
        int secondPerSymbol = PerSymbol / 2;
        await Poll.UntilAsync(_ => Task.FromResult(counters.DeadLettered >= bad.Length + refused && counters.Late >= secondPerSymbol
                && counters.Ticks >= ticks.Count + 1 + (Flood - refused)),
            Patience, "every message done", () => $"ticks {counters.Ticks}, late {counters.Late}, dead letters {counters.DeadLettered}");
        // Every point acknowledged before the worker stops; stopping flushes the rest.
        stop.Cancel();
        await running;
        service.Dispose();

        var letters = kafka.ConsumeAll(harness.Kafka.DeadLetterTopic, "dlq-" + topic, bad.Length + refused, Patience);
        Assert.Equal(bad.Length + refused, letters.Count);
        foreach (var (key, value, reason) in bad)
        {
            var letter = Assert.Single(letters, l => l.Value == value);
            Assert.Equal(key, letter.Key);
            Assert.Contains(reason, letter.Headers["error"]);
        }
        var future = letters.Single(l => l.Value == bad[0].Value).Headers["error"];
        Assert.Matches(@"^'ts' 2099-01-01T00:00:00\.000Z is [0-9,]+ days ahead of the clock \(.+\), more than Ticks:MaxClockSkew \(00:05:00\)$", future);
        var floodLetters = letters.Where(l => l.Key!.StartsWith("NEW", StringComparison.Ordinal)).ToList();
        Assert.Equal(refused, floodLetters.Count);
        Assert.All(floodLetters, l => Assert.Equal($"symbol '{l.Key}' is new and the worker already keeps state for Serving:MaxSymbols ({MaxSymbols}) symbols", l.Headers["error"]));
        Assert.Equal(1, counters.FutureTicks);
        Assert.Equal(refused, counters.SymbolsRefused);
        Assert.Contains(loggers.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains($"ticks of new symbols went to the dead-letter topic", StringComparison.Ordinal));

        // Every tick of the other symbols, before and after the bad ones, is priced and forecast.
        int warmup = WorkerHarness.Settings.Warmup, horizons = WorkerHarness.Settings.Horizons;
        foreach (var symbol in new[] { "AAA", "BBB", "UAESC" })
        {
            Assert.Equal(PerSymbol, await CountAsync(bucket, "price", symbol));
            Assert.Equal((PerSymbol - warmup) * horizons, await CountAsync(bucket, "forecast", symbol));
        }
        // JUMP: its first half and the jumped tick are kept; the second half is late, counted and reported by name.
        Assert.Equal(PerSymbol / 2 + 1, await CountAsync(bucket, "price", "JUMP"));
        Assert.Equal(secondPerSymbol, counters.Late);
        Assert.Single(loggers.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("Symbol JUMP: 5 ticks in a row were earlier than its last tick", StringComparison.Ordinal));
        // The two flood symbols that fit are priced like any other.
        Assert.Equal(Flood - refused, (await influx.QueryAsync(bucket, "SELECT count(\"value\") FROM \"price\" WHERE \"symbol\" =~ /^NEW/ GROUP BY \"symbol\"")).Count);

        // History bounds are per symbol: JUMP's tick of today ages out JUMP's own ticks of 2024 (History:MaxAge is 730
        // days), not the other symbols'.
        using var history = new TickHistory(new HistorySettings { Directory = harness.HistoryDirectory }, topic);
        for (int p = 0; p < KafkaFixture.Partitions; p++) history.Open(p);
        foreach (var symbol in new[] { "AAA", "BBB", "UAESC" }) Assert.Equal(PerSymbol, history.Count(symbol));
        Assert.Equal(1, history.Count("JUMP"));
    }

    [Fact]
    public async Task A_symbol_stuck_behind_a_tick_that_jumped_ahead_is_forecast_again_after_history_drop_and_a_restart()
    {
        var topic = kafka.CreateTopicName("stuck");
        var bucket = await influx.NewBucketAsync();
        using var harness = new WorkerHarness(kafka, influx, topic, bucket);
        var ticks = WorkerHarness.Ticks(["AAA", "JUMP"], 30);
        var start = ticks[0].Timestamp;
        // A replay of history: JUMP's 11th tick is stamped nine days ahead, within the clock skew (it lies in the past).
        var jumped = new Tick("JUMP", start.AddDays(9), 150);
        var before = ticks.Where(t => t.Timestamp < start.AddMinutes(10)).ToList();
        var stuck = ticks.Where(t => t.Timestamp >= start.AddMinutes(10) && t.Timestamp < start.AddMinutes(20)).ToList();
        var after = ticks.Where(t => t.Timestamp >= start.AddMinutes(20)).ToList();
        await WorkerHarness.PublishAsync(kafka, topic, [.. before, jumped, .. stuck]);

        var learning = new LearningSettings { Enabled = false };
        var counters = new PipelineCounters();
        using (var stop = new CancellationTokenSource())
        {
            var (service, running) = harness.StartService(stop.Token, learning, counters);
            await Poll.UntilAsync(_ => Task.FromResult(counters.Ticks >= before.Count + 1 + stuck.Count), Patience, "the first run's ticks",
                () => $"ticks {counters.Ticks}");
            stop.Cancel();
            await running;
            service.Dispose();
        }
        Assert.Equal(stuck.Count / 2, counters.Late);

        // The operator's recovery: with the worker stopped, drop the bad tick from the history and the symbol's
        // checkpointed state (which remembers the bad tick as its last), then start it again.
        Assert.Equal(0, StreamLstm.Worker.Verbs.CommandLine.Run(["history", "drop", "--symbol", "JUMP", "--from", "2024-01-10T00:00:00Z",
            "--history-dir", harness.HistoryDirectory, "--topic", topic]));
        Assert.Equal(0, StreamLstm.Worker.Verbs.CommandLine.Run(["state", "drop", "--symbol", "JUMP",
            $"--Kafka:BootstrapServers={kafka.BootstrapServers}", $"--Kafka:Topic={topic}"]));
        await WorkerHarness.PublishAsync(kafka, topic, after);
        var resumed = new PipelineCounters();
        using (var stop = new CancellationTokenSource())
        {
            var (service, running) = harness.StartService(stop.Token, learning, resumed);
            await Poll.UntilAsync(_ => Task.FromResult(resumed.Ticks >= after.Count), Patience, "the second run's ticks", () => $"ticks {resumed.Ticks}");
            stop.Cancel();
            await running;
            service.Dispose();
        }

        Assert.Equal(0, resumed.Late);
        int warmup = WorkerHarness.Settings.Warmup, horizons = WorkerHarness.Settings.Horizons;
        // JUMP: its first ten ticks and the jumped one before the restart; after it, re-warmed from its first ten, every
        // new tick is forecast at once, as if the bad tick and the ticks stuck behind it had never come.
        Assert.Equal(before.Count / 2 + 1 + after.Count / 2, await CountAsync(bucket, "price", "JUMP"));
        Assert.Equal((before.Count / 2 + 1 - warmup + after.Count / 2) * horizons, await CountAsync(bucket, "forecast", "JUMP"));
        Assert.Equal(ticks.Count / 2, await CountAsync(bucket, "price", "AAA"));
        Assert.Equal((ticks.Count / 2 - warmup) * horizons, await CountAsync(bucket, "forecast", "AAA"));
    }
}
