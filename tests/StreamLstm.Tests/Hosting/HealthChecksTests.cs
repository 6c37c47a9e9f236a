using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Sink;
using StreamLstm.Telemetry;
using StreamLstm.Tests.Support;
using StreamLstm.Worker.Hosting.Health;

namespace StreamLstm.Tests.Hosting;

public class HealthChecksTests
{
    private static HealthCheckResult Check(IHealthCheck check) => check.CheckHealthAsync(new HealthCheckContext()).GetAwaiter().GetResult();

    [Fact]
    public void The_forecast_loop_is_live_while_it_waits_for_ticks_or_on_the_sink_and_while_a_batch_is_young()
    {
        var counters = new PipelineCounters();
        var check = new ForecastLoopHealthCheck(counters);
        Assert.Equal(HealthStatus.Healthy, Check(check).Status);   // starting, within the grace period
        Assert.StartsWith("starting", Check(check).Description);
        counters.EnterLoopState(ForecastLoopState.Waiting);
        Assert.Equal("waiting for ticks", Check(check).Description);
        counters.EnterLoopState(ForecastLoopState.WritingToSink);
        Assert.Equal(HealthStatus.Healthy, Check(check).Status);
        Assert.Contains("backpressure", Check(check).Description);
        counters.EnterLoopState(ForecastLoopState.Working);
        Assert.Equal(HealthCheckResult.Healthy("forecasting").Description, Check(check).Description);
        counters.EnterLoopState(ForecastLoopState.Stopped);
        Assert.Equal(HealthStatus.Unhealthy, Check(check).Status);
    }

    [Fact]
    public void Kafka_is_ready_with_partitions_assigned_or_while_the_topic_does_not_exist_yet()
    {
        var counters = new PipelineCounters();
        var check = new KafkaHealthCheck(counters, Options.Create(new KafkaOptions { BootstrapServers = "b:9092", Topic = "ticks", GroupId = "g" }));
        var none = Check(check);
        Assert.Equal(HealthStatus.Unhealthy, none.Status);
        Assert.Equal("no partition of ticks assigned in group g (joining, or the brokers are unreachable)", none.Description);
        counters.TopicMissing = true;
        Assert.Equal((HealthStatus.Healthy, "waiting for topic ticks to exist"), (Check(check).Status, Check(check).Description));
        counters.AssignedPartitions = 3;
        Assert.Equal((HealthStatus.Healthy, "3 partition(s) of ticks assigned"), (Check(check).Status, Check(check).Description));
    }

    [Fact]
    public void The_model_is_ready_when_one_serves_naive_included_and_not_when_the_current_one_cannot_be_loaded()
    {
        var counters = new PipelineCounters();
        var check = new ModelHealthCheck(counters);
        Assert.Equal(HealthStatus.Unhealthy, Check(check).Status);
        counters.ServingModel = "naive";
        Assert.Equal((HealthStatus.Healthy, "serving naive"), (Check(check).Status, Check(check).Description));
        counters.ModelProblem = "the current version cannot be loaded (weights.bin is truncated): serving naive forecasts";
        Assert.Equal((HealthStatus.Unhealthy, counters.ModelProblem), (Check(check).Status, Check(check).Description));
    }

    [Fact]
    public async Task Influxdb_is_ready_when_points_go_to_a_file_and_otherwise_needs_a_fresh_ping_and_no_refused_writes()
    {
        var counters = new PipelineCounters();
        var clock = new FixedClock(new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc));
        using var idle = new InfluxProbe(Options.Create(new InfluxOptions()), clock);
        var none = new InfluxHealthCheck(idle, counters, Options.Create(new InfluxOptions()), clock);
        Assert.Equal(HealthStatus.Healthy, Check(none).Status);

        var influx = Options.Create(new InfluxOptions { Url = "http://127.0.0.1:1" });
        using var probe = new InfluxProbe(influx, clock);
        var check = new InfluxHealthCheck(probe, counters, influx, clock);
        Assert.Equal("InfluxDB not probed yet", Check(check).Description);
        // One real ping at a port nothing listens on: unreachable.
        Assert.False((await probe.ProbeAsync(CancellationToken.None)).Reachable);
        var down = Check(check);
        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.StartsWith("InfluxDB unreachable: /ping failed", down.Description);
        // The same answer, 11 s later, is too old to trust.
        clock.UtcNow = clock.UtcNow.AddSeconds(11);
        Assert.StartsWith("no answer to /ping since", Check(check).Description);
    }

    [Fact]
    public void The_history_is_ready_while_its_folder_takes_writes_and_no_write_failed_recently()
    {
        using var dir = new TempDirectory();
        var counters = new PipelineCounters();
        var clock = new FixedClock(new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc));
        var check = new HistoryHealthCheck(Options.Create(new HistorySettings { Directory = dir.File("history") }), counters, clock);
        Assert.Equal(HealthStatus.Healthy, Check(check).Status);
        Assert.False(File.Exists(Path.Combine(dir.File("history"), ".write-probe")));

        counters.AddHistoryFailure("No space left on device");
        var failing = Check(check);
        Assert.Equal((HealthStatus.Unhealthy, "history writes fail: No space left on device"), (failing.Status, failing.Description));
        clock.UtcNow = clock.UtcNow.AddSeconds(31);
        Assert.Equal(HealthStatus.Healthy, Check(check).Status);
    }
}
