using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using StreamLstm.Ticks;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>replay --data CSV --bootstrap SERVERS --topic TOPIC [--rate TICKS_PER_SECOND]</c>: publishes a CSV as tick
/// messages keyed by symbol, in timestamp order (as fast as possible without <c>--rate</c>).
/// </summary>
public static class ReplayVerb
{
    public static Command Create()
    {
        var data = new Option<FileInfo>("--data") { Description = "CSV of prices", Required = true };
        var bootstrap = new Option<string>("--bootstrap") { Description = "Kafka bootstrap servers, host:port[,host:port]", Required = true };
        var topic = new Option<string>("--topic") { Description = "topic to publish to", DefaultValueFactory = _ => "ticks" };
        var rate = new Option<double?>("--rate") { Description = "ticks per second (default: as fast as possible)" };
        var command = CommandLine.Verb("replay", "Publish a CSV of prices as tick messages, keyed by symbol, in timestamp order.");
        foreach (var option in new Option[] { data, bootstrap, topic, rate }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            if (parse.GetValue(rate) is <= 0) throw new CliException($"--rate must be positive, got {parse.GetValue(rate)}");
            var configuration = VerbConfiguration.Build(parse.UnmatchedTokens);
            var producerSettings = configuration.GetSection("Kafka:Producer").GetChildren().ToDictionary(c => c.Key, c => c.Value ?? "");
            var ticks = PriceFile.Read(parse.GetValue(data)!.FullName);
            var sent = Publish(ticks, parse.GetValue(bootstrap)!, parse.GetValue(topic)!, parse.GetValue(rate), producerSettings, CancellationToken.None);
            Console.WriteLine($"published {sent} ticks to {parse.GetValue(topic)}");
            return 0;
        });
        return command;
    }

    /// <summary>The message value for a tick (CONTRACT: symbol, ts ISO-8601 UTC, price, volume when known).</summary>
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
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Publishes <paramref name="ticks"/> in timestamp order (stable for equal times); returns how many were acknowledged.</summary>
    public static long Publish(IReadOnlyList<Tick> ticks, string bootstrap, string topic, double? rate,
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
                var due = TimeSpan.FromSeconds(n / r);
                var wait = due - clock.Elapsed;
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
        if (failed > 0) throw new CliException($"{failed} of {n} ticks were not delivered to {topic}: {firstError}");
        return delivered;
    }
}
