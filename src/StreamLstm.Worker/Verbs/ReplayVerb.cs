using System.CommandLine;
using StreamLstm.Ingest;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>replay --data CSV --bootstrap SERVERS [--topic TOPIC] [--rate TICKS_PER_SECOND]</c>: publishes a CSV as tick
/// messages keyed by symbol, in timestamp order, to TOPIC (default <c>ticks</c>), as fast as possible without <c>--rate</c>.
/// </summary>
public static class ReplayVerb
{
    public static Command Create()
    {
        var data = new Option<FileInfo>("--data") { Description = "CSV of prices (timestamp,symbol,price; volume, bid, ask when present)", Required = true, HelpName = "CSV" };
        var bootstrap = new Option<string>("--bootstrap") { Description = "Kafka bootstrap servers, host:port[,host:port]", Required = true, HelpName = "SERVERS" };
        var topic = new Option<string>("--topic") { Description = "topic to publish to", DefaultValueFactory = _ => "ticks", HelpName = "TOPIC" };
        var rate = new Option<double?>("--rate") { Description = "ticks per second (default: as fast as possible)", HelpName = "TICKS_PER_SECOND" };
        var command = CommandLine.Verb("replay",
            "Publish a CSV of prices as tick messages, keyed by symbol, in timestamp order (idempotent producer, acks=all; " +
            "Kafka:Producer:* settings pass through to it, e.g. --Kafka:Producer:security.protocol=SSL).");
        foreach (var option in new Option[] { data, bootstrap, topic, rate }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            if (parse.GetValue(rate) is <= 0) throw new CliException($"--rate must be positive, got {parse.GetValue(rate)}");
            var configuration = VerbConfiguration.Build(parse.UnmatchedTokens);
            var producerSettings = configuration.GetSection("Kafka:Producer").GetChildren().ToDictionary(c => c.Key, c => c.Value ?? "");
            var ticks = PriceFile.Read(parse.GetValue(data)!.FullName, VerbConfiguration.Ticks(configuration));
            var sent = TickPublisher.Publish(ticks, parse.GetValue(bootstrap)!, parse.GetValue(topic)!, parse.GetValue(rate), producerSettings);
            Console.WriteLine($"published {sent} ticks to {parse.GetValue(topic)}");
            return 0;
        });
        return command;
    }
}
