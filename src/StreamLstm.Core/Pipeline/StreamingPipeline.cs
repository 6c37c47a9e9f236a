using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Model;
using StreamLstm.Sink;

namespace StreamLstm.Pipeline;

/// <summary>
/// Kafka in, forecasts out: the consume loop (its own thread) feeds a bounded queue; the forecast loop takes what is
/// queued as one micro-batch (up to <see cref="MaxBatch"/> ticks), runs the per-tick path and hands the points to the
/// sink, which acknowledges source positions once the points are accepted. Stopping drains the queue, flushes the sink,
/// stores and commits offsets, then leaves the group.
/// </summary>
public sealed partial class StreamingPipeline
{
    /// <summary>Most ticks per micro-batch.</summary>
    public const int MaxBatch = 4096;

    private readonly KafkaOptions _kafka;
    private readonly ModelVersion _model;
    private readonly ServingSettings _serving;
    private readonly Func<Action<IReadOnlyList<SourcePosition>>, IPointSink> _sinkFactory;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<IReadOnlyList<int>> _dropped = new();
    private KafkaTickSource? _source;

    public StreamingPipeline(KafkaOptions kafka, ModelVersion model, ServingSettings serving,
        Func<Action<IReadOnlyList<SourcePosition>>, IPointSink> sinkFactory, ILogger logger, PipelineCounters? counters = null)
    {
        _kafka = kafka;
        _model = model;
        _serving = serving;
        _sinkFactory = sinkFactory;
        _logger = logger;
        Counters = counters ?? new PipelineCounters();
    }

    /// <summary>Running totals.</summary>
    public PipelineCounters Counters { get; }

    /// <summary>Symbols with state right now.</summary>
    public int Symbols { get; private set; }

    /// <summary>
    /// Called on the forecast loop with each tick's latency in milliseconds, from the consumer handing it over to its
    /// points being serialized into the sink's batch (for benchmarks; null by default).
    /// </summary>
    public Action<double>? LatencyObserver { get; init; }

    /// <summary>Partitions assigned to this worker right now (empty before it joined its group).</summary>
    public IReadOnlyList<int> Assignment => _source?.Assignment ?? [];

    /// <summary>Running score of the served one-tick-ahead forecasts (updated by the forecast loop; read for display).</summary>
    public Evaluation.ForecastScore? LiveScore { get; private set; }

    /// <summary>Runs until <paramref name="stopping"/> fires, then shuts down gracefully within <paramref name="shutdownTimeout"/>.</summary>
    public async Task RunAsync(CancellationToken stopping, TimeSpan? shutdownTimeout = null)
    {
        var queue = Channel.CreateBounded<IngestedTick>(new BoundedChannelOptions(_kafka.QueueTicks)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var source = new KafkaTickSource(_kafka, queue.Writer, Counters, _logger, _dropped.Enqueue);
        _source = source;
        var sink = _sinkFactory(source.Acknowledge);
        var processor = new TickProcessor(_model, _serving, Counters);
        LiveScore = processor.LiveScore;
        LogStarted(_logger, _kafka.Topic, _kafka.GroupId, _model.Id);

        var consuming = source.RunAsync(stopping);
        var buffer = new IngestedTick[MaxBatch];
        var reader = queue.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (_dropped.TryDequeue(out var partitions)) processor.Forget(partitions);
            int n = 0;
            while (n < buffer.Length && reader.TryRead(out var item)) buffer[n++] = item;
            var batch = new PointBatch();
            processor.Process(buffer.AsSpan(0, n), batch);
            Symbols = processor.Symbols;
            if (LatencyObserver is { } observe)
            {
                long now = System.Diagnostics.Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++) observe((now - buffer[i].ReceivedTimestamp) * 1000.0 / System.Diagnostics.Stopwatch.Frequency);
            }
            await sink.WriteAsync(batch, CancellationToken.None).ConfigureAwait(false);
        }
        await consuming.ConfigureAwait(false);

        using var timeout = new CancellationTokenSource(shutdownTimeout ?? TimeSpan.FromSeconds(30));
        switch (sink)
        {
            case InfluxPointSink influx:
                await influx.FlushAndStopAsync(timeout.Token).ConfigureAwait(false);
                await influx.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
        source.CommitAndClose();
        _source = null;
        LogStopped(_logger, Counters.Ticks, Counters.Forecasts, Counters.PointsWritten);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Forecasting ticks of topic {Topic} in group {Group} with model {Model}")]
    private static partial void LogStarted(ILogger logger, string topic, string group, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped after {Ticks} ticks, {Forecasts} forecasts, {Points} points written")]
    private static partial void LogStopped(ILogger logger, long ticks, long forecasts, long points);
}
