using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using StreamLstm.Ticks;

namespace StreamLstm.Ingest;

/// <summary>Publishes ticks as tick messages keyed by symbol (what <c>replay</c>, <c>demo</c> and the benchmarks send).</summary>
public static class TickPublisher
{
    /// <summary>The message value for a tick (docs/reference.md, "Tick messages": symbol, ts ISO-8601 UTC, price, volume, bid and ask when known).</summary>
    public static byte[] Serialize(Tick tick)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("symbol", tick.Symbol);
            json.WriteString("ts", tick.Timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteNumber("price", tick.Price);
            if (tick.Volume is { } volume) json.WriteNumber("volume", volume);
            if (tick.Bid is { } bid) json.WriteNumber("bid", bid);
            if (tick.Ask is { } ask) json.WriteNumber("ask", ask);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Publishes <paramref name="ticks"/> in timestamp order (stable for equal times), at <paramref name="rate"/> ticks per
    /// second or as fast as possible; returns how many the brokers acknowledged. Throws <see cref="InvalidOperationException"/>
    /// naming the first failure when some were not delivered.
    /// </summary>
    public static long Publish(IEnumerable<Tick> ticks, string bootstrap, string topic, double? rate,
        IDictionary<string, string>? producerSettings = null, CancellationToken cancellationToken = default)
    {
        var config = new ProducerConfig(new Dictionary<string, string>(producerSettings ?? new Dictionary<string, string>()))
        {
            BootstrapServers = bootstrap,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
        };
        long delivered = 0, failed = 0;
        string? firstError = null;
        using var producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, log) => { if (log.Level <= SyslogLevel.Warning) Console.Error.WriteLine($"kafka: {log.Facility}: {log.Message}"); })
            .Build();
        var ordered = ticks.Select((t, i) => (t, i)).OrderBy(x => x.t.Timestamp).ThenBy(x => x.i).Select(x => x.t);
        var clock = Stopwatch.StartNew();
        long n = 0;
        foreach (var tick in ordered)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (rate is { } r)
            {
                var wait = TimeSpan.FromSeconds(n / r) - clock.Elapsed;
                if (wait > TimeSpan.Zero) Thread.Sleep(wait);
            }
            var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(tick.Symbol), Value = Serialize(tick) };
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, report =>
                    {
                        if (report.Error.IsError) { Interlocked.Increment(ref failed); firstError ??= report.Error.Reason; }
                        else Interlocked.Increment(ref delivered);
                    });
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(100));
                }
            }
            n++;
        }
        producer.Flush(cancellationToken);
        if (failed > 0) throw new InvalidOperationException($"{failed} of {n} ticks were not delivered to {topic}: {firstError}");
        return delivered;
    }
}
