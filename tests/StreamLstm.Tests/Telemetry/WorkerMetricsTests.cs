using System.Diagnostics.Metrics;
using StreamLstm.Telemetry;

namespace StreamLstm.Tests.Telemetry;

public class WorkerMetricsTests
{
    private static Dictionary<string, List<(double Value, string Tags)>> Collect(Meter meter)
    {
        var seen = new Dictionary<string, List<(double, string)>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter == meter) l.EnableMeasurementEvents(instrument); };
        void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (!seen.TryGetValue(instrument.Name, out var list)) seen[instrument.Name] = list = [];
            list.Add((value, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"))));
        }
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    [Fact]
    public void Counters_are_observed_from_the_start_at_zero_and_then_follow_the_pipeline_counters()
    {
        using var meter = new Meter("test-" + Guid.NewGuid());
        var counters = new PipelineCounters { ServingModel = "v3" };
        _ = new WorkerMetrics(meter, counters);

        var start = Collect(meter);
        Assert.Equal(0, start["streamlstm.ticks.consumed"].Single().Value);
        Assert.Equal(0, start["streamlstm.dead_letters"].Single().Value);
        Assert.Equal(["model=v3", "model=naive"], start["streamlstm.forecasts"].Select(m => m.Tags));
        Assert.Equal(["outcome=promoted", "outcome=rejected", "outcome=retired", "outcome=failed"], start["streamlstm.retrains"].Select(m => m.Tags));
        Assert.Equal((1.0, "version=v3"), start["streamlstm.model.info"].Single());

        counters.AddDeadLettered(2);
        counters.AddForecastPoints("v3", 7);
        counters.AddRetrain("promoted");
        counters.SetLag(1, 40);
        counters.AddScores(1, new PipelineCounters.HorizonScore(4, 3, 0.02, 0.04));
        counters.Paused = true;
        var later = Collect(meter);
        Assert.Equal(2, later["streamlstm.dead_letters"].Single().Value);
        Assert.Contains((7.0, "model=v3"), later["streamlstm.forecasts"]);
        Assert.Contains((1.0, "outcome=promoted"), later["streamlstm.retrains"]);
        Assert.Equal((40.0, "partition=1"), later["streamlstm.consumer.lag"].Single());
        Assert.Equal((3.0, "horizon=1"), later["streamlstm.forecasts.covered"].Single());
        Assert.Equal(0.04, later["streamlstm.naive.relative_error"].Single().Value, 12);
        Assert.Equal(1, later["streamlstm.consumption.paused"].Single().Value);
    }

    [Fact]
    public void Latency_and_write_duration_are_recorded_once_the_meter_is_attached()
    {
        var counters = new PipelineCounters();
        Assert.False(counters.RecordsLatency);
        using var meter = new Meter("test-" + Guid.NewGuid());
        _ = new WorkerMetrics(meter, counters);
        Assert.True(counters.RecordsLatency);
        var recorded = new List<(string, double)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter == meter) l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => { if (i is Histogram<double>) recorded.Add((i.Name, v)); });
        listener.Start();
        counters.RecordTickLatency(0.002);
        counters.RecordWriteDuration(0.05);
        Assert.Equal([("streamlstm.tick.latency", 0.002), ("streamlstm.influx.write.duration", 0.05)], recorded);
    }
}
