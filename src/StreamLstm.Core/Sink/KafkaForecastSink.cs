using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;
using StreamLstm.Telemetry;

namespace StreamLstm.Sink;

/// <summary>
/// Publishes every served forecast to <see cref="KafkaOptions.ForecastTopic"/>: one JSON message per forecast and
/// horizon, keyed by symbol, from an idempotent producer acknowledged by all in-sync replicas. A batch's positions are
/// acknowledged once all its messages are; a message that fails for good leaves them unacknowledged (a restart sends
/// them again). Delivery is at least once: a duplicate after a crash is identical, and symbol, <c>ts_ns</c> and
/// <c>horizon</c> identify a forecast.
/// </summary>
public sealed partial class KafkaForecastSink : IPointSink
{
    private readonly string _topic;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly Action<IReadOnlyList<SourcePosition>> _acknowledge;
    private readonly PipelineCounters _counters;
    private readonly ILogger _logger;
    private readonly KafkaLog _kafkaLog;
    private readonly LogRateLimit _failureLog = new(TimeSpan.FromSeconds(30));
    private readonly ArrayBufferWriter<byte> _json = new(256);

    public KafkaForecastSink(KafkaOptions options, Action<IReadOnlyList<SourcePosition>> acknowledge, PipelineCounters counters, ILogger logger)
    {
        _topic = options.ForecastTopic ?? throw new ArgumentException("Kafka:ForecastTopic is not set", nameof(options));
        _acknowledge = acknowledge;
        _counters = counters;
        _logger = logger;
        _kafkaLog = new KafkaLog(logger);
        _producer = KafkaProducers.Reliable<byte[], byte[]>(options, _kafkaLog, lingerMs: 5);
    }

    public ValueTask WriteAsync(PointBatch batch, CancellationToken cancellationToken)
    {
        var forecasts = batch.Forecasts;
        var positions = batch.Positions.ToArray();
        if (forecasts is null || forecasts.Count == 0)
        {
            if (positions.Length > 0) _acknowledge(positions);
            return ValueTask.CompletedTask;
        }
        int outstanding = forecasts.Count, failed = 0;
        void Delivered(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref failed);
                if (_failureLog.ShouldLog("forecast", out long suppressed)) LogFailed(_logger, _topic, report.Error.Reason, suppressed);
            }
            if (Interlocked.Decrement(ref outstanding) > 0) return;
            if (Volatile.Read(ref failed) == 0)
            {
                _counters.AddForecastsPublished(forecasts.Count);
                _acknowledge(positions);
            }
        }
        foreach (var forecast in forecasts)
        {
            var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(forecast.Symbol), Value = Serialize(forecast, _json) };
            while (true)
            {
                try
                {
                    _producer.Produce(_topic, message, Delivered);
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    // The brokers are slow or away: wait for room (backpressure on the forecast loop).
                    cancellationToken.ThrowIfCancellationRequested();
                    _producer.Poll(TimeSpan.FromMilliseconds(100));
                }
            }
        }
        return ValueTask.CompletedTask;
    }

    public Task CompleteAsync(CancellationToken cancellationToken)
    {
        try
        {
            _producer.Flush(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        _producer.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>
    /// The forecast message (docs/reference.md, "Forecast messages"): <c>{"symbol","ts","ts_ns","horizon","value","lower","upper","model"}</c>, UTF-8 JSON
    /// (numbers in their shortest round-trip form).
    /// </summary>
    internal static byte[] Serialize(in ForecastRecord forecast, ArrayBufferWriter<byte> buffer)
    {
        buffer.Clear();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("symbol", forecast.Symbol);
            writer.WriteString("ts", forecast.Time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
            writer.WriteNumber("ts_ns", forecast.TimeNs);
            writer.WriteNumber("horizon", forecast.Horizon);
            writer.WriteNumber("value", forecast.Value);
            writer.WriteNumber("lower", forecast.Lower);
            writer.WriteNumber("upper", forecast.Upper);
            writer.WriteString("model", forecast.Model);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A forecast could not be published to {Topic} ({Reason}; {Suppressed} more since the last line): its ticks' offsets are not stored, so a restart publishes them again")]
    private static partial void LogFailed(ILogger logger, string topic, string reason, long suppressed);
}
