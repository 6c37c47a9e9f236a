using System.Diagnostics.Metrics;

namespace StreamLstm.Telemetry;

/// <summary>
/// The worker's instruments on one <see cref="Meter"/> (<see cref="MeterName"/>), as Prometheus names them once
/// exported (<c>streamlstm.ticks.consumed</c> becomes <c>streamlstm_ticks_consumed_total</c>). Totals and gauges are
/// observed from <see cref="PipelineCounters"/> when a reader collects, so the hot path pays nothing for them beyond
/// the interlocked adds it already made, and every counter is exported from the start, at 0. Only the two histograms
/// are recorded as things happen.
/// </summary>
public sealed class WorkerMetrics
{
    /// <summary>The meter's name, for <c>AddMeter</c>.</summary>
    public const string MeterName = "StreamLstm";

    /// <summary>Bucket bounds of the tick latency, in seconds: from 0.1 ms (an idle worker) to 10 s (a stalled sink).</summary>
    public static readonly double[] TickLatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Bucket bounds of one InfluxDB write request, in seconds: from 1 ms to the default 10 s timeout and beyond.</summary>
    public static readonly double[] WriteDurationBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly string[] RebalanceKinds = ["assigned", "revoked", "lost"];
    private static readonly string[] RetrainOutcomes = ["promoted", "rejected", "retired", "failed"];

    public WorkerMetrics(Meter meter, PipelineCounters counters)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(counters);
        Counter(meter, "streamlstm.ticks.consumed", "{tick}", "Ticks handed to the forecaster (late ones included)", () => counters.Ticks);
        Counter(meter, "streamlstm.ticks.late", "{tick}", "Ticks older than their symbol's last tick: skipped", () => counters.Late);
        Counter(meter, "streamlstm.dead_letters", "{message}", "Messages written to the dead-letter topic", () => counters.DeadLettered);
        Counter(meter, "streamlstm.points.written", "{point}", "Points InfluxDB (or the line file) accepted", () => counters.PointsWritten);
        Counter(meter, "streamlstm.points.rejected", "{point}", "Points InfluxDB refused for good", () => counters.PointsRejected);
        Counter(meter, "streamlstm.state.checkpoints", "{checkpoint}", "Checkpoints of the per-symbol state written to the changelog", () => counters.Checkpoints);
        Counter(meter, "streamlstm.state.checkpoint.failures", "{checkpoint}", "Checkpoints the changelog did not take (the next one carries their symbols again)", () => counters.CheckpointFailures);
        Counter(meter, "streamlstm.state.checkpoint.bytes", "By", "Bytes of symbol state written to the changelog", () => counters.CheckpointBytes);
        Counter(meter, "streamlstm.state.restored", "{symbol}", "Symbols restored exactly from their checkpoint on assignment", () => counters.Restored);
        Counter(meter, "streamlstm.state.restore.refused", "{symbol}", "Symbols whose checkpoint could not be used on assignment (re-warmed from history instead)", () => counters.RestoreRefused);
        Counter(meter, "streamlstm.forecasts.published", "{message}", "Forecast messages the forecast topic (Kafka:ForecastTopic) acknowledged", () => counters.ForecastsPublished);
        Counter(meter, "streamlstm.history.backfilled", "{tick}", "Ticks read back from the topic into the history of partitions taken over without it", () => counters.HistoryBackfilled);
        Counter(meter, "streamlstm.ticks.covered", "{tick}", "Ticks read again after a restore that their checkpoint already covered (not applied again)", () => counters.CheckpointCovered);
        Counter(meter, "streamlstm.ticks.discarded", "{tick}", "Ticks still queued when their partition was revoked or lost: left to the next owner", () => counters.RevokedDiscarded);
        Counter(meter, "streamlstm.influx.write.retries", "{request}", "InfluxDB write attempts that failed and were retried", () => counters.WriteFailures);
        meter.CreateObservableCounter("streamlstm.forecasts", () => WithModels(counters), "{point}", "Forecast points per model tag (a version, or naive)");
        meter.CreateObservableCounter("streamlstm.rebalances", () => Labelled(counters.Rebalances, "kind", RebalanceKinds), "{event}", "Partitions assigned, revoked or lost");
        meter.CreateObservableCounter("streamlstm.retrains", () => Labelled(counters.Retrains, "outcome", RetrainOutcomes), "{retrain}", "Retrains per outcome");
        meter.CreateObservableCounter("streamlstm.forecasts.resolved", () => PerHorizon(counters, s => s.Resolved), "{forecast}", "Served forecasts whose actual arrived");
        meter.CreateObservableCounter("streamlstm.forecasts.covered", () => PerHorizon(counters, s => s.Covered), "{forecast}", "Of those, actuals inside the served 80% interval");
        meter.CreateObservableCounter("streamlstm.forecast.relative_error", () => PerHorizon(counters, s => s.RelativeError), "1", "Sum of |served forecast - actual| / actual");
        meter.CreateObservableCounter("streamlstm.naive.relative_error", () => PerHorizon(counters, s => s.NaiveRelativeError), "1", "Sum of |last price - actual| / actual");

        meter.CreateObservableGauge("streamlstm.consumer.lag", () => PerPartition(counters.Lag), "{message}", "Messages behind the end of each assigned partition (librdkafka statistics)");
        meter.CreateObservableGauge("streamlstm.partition.last_tick_age", () => PerPartition(counters.LastTickAge), "s", "Seconds since each partition's last message");
        meter.CreateObservableGauge("streamlstm.consumption.paused", () => counters.Paused ? 1 : 0, "1", "1 while consumption is paused (the forecaster's queue is full)");
        meter.CreateObservableGauge("streamlstm.tick_queue.fill_ratio", () => counters.QueueFill, "1", "How full the tick queue is, 0 to 1");
        meter.CreateObservableGauge("streamlstm.symbols", () => counters.Symbols, "{symbol}", "Symbols with state");
        meter.CreateObservableGauge("streamlstm.model.info", () => ModelInfo(counters), "1", "1 for the version serving (label version)");
        meter.CreateObservableGauge("streamlstm.influx.circuit_open", () => counters.CircuitOpen ? 1 : 0, "1", "1 while the InfluxDB writer's circuit breaker is open");
        meter.CreateObservableGauge("streamlstm.ready", () => counters.Ready ? 1 : 0, "1", "1 while the readiness checks pass");
        meter.CreateObservableGauge("streamlstm.process.memory", () => Environment.WorkingSet, "By", "Working set of the process");

        var latency = meter.CreateHistogram("streamlstm.tick.latency", "s", "From the consumer handing a tick over to its points serialized into the sink's batch",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TickLatencyBuckets });
        var write = meter.CreateHistogram("streamlstm.influx.write.duration", "s", "One InfluxDB write request",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WriteDurationBuckets });
        counters.RecordInto(latency, write);
    }

    private static void Counter(Meter meter, string name, string unit, string description, Func<long> read) =>
        meter.CreateObservableCounter(name, read, unit, description);

    private static IEnumerable<Measurement<long>> WithModels(PipelineCounters counters)
    {
        var byModel = counters.ForecastsByModel;
        // Both series exist from the start, at 0: the one of the serving version and naive's.
        var serving = counters.ServingModel;
        if (serving.Length > 0 && !byModel.ContainsKey(serving)) yield return Tagged(0L, "model", serving);
        if (!byModel.ContainsKey("naive")) yield return Tagged(0L, "model", "naive");
        foreach (var (model, n) in byModel) yield return Tagged(n, "model", model);
    }

    private static IEnumerable<Measurement<long>> Labelled(IReadOnlyDictionary<string, long> counts, string label, string[] known)
    {
        foreach (var value in known) yield return Tagged(counts.GetValueOrDefault(value), label, value);
        foreach (var (value, n) in counts)
            if (Array.IndexOf(known, value) < 0) yield return Tagged(n, label, value);
    }

    private static IEnumerable<Measurement<T>> PerHorizon<T>(PipelineCounters counters, Func<PipelineCounters.HorizonScore, T> pick) where T : struct =>
        counters.Horizons.OrderBy(h => h.Key).Select(h => Tagged(pick(h.Value), "horizon", h.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static IEnumerable<Measurement<T>> PerPartition<T>(IReadOnlyDictionary<int, T> values) where T : struct =>
        values.OrderBy(p => p.Key).Select(p => Tagged(p.Value, "partition", p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static IEnumerable<Measurement<int>> ModelInfo(PipelineCounters counters)
    {
        var serving = counters.ServingModel;
        if (serving.Length > 0) yield return Tagged(1, "version", serving);
    }

    private static Measurement<T> Tagged<T>(T value, string key, string tag) where T : struct =>
        new(value, new KeyValuePair<string, object?>(key, tag));
}
