using System.Text;
using StreamLstm.Ingest;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.Worker.Verbs;

namespace StreamLstm.IntegrationTests.Worker;

[Collection(KafkaCollection.Name)]
public sealed class ReplayVerbTests(KafkaFixture kafka)
{
    [Fact]
    public void Replay_publishes_every_row_keyed_by_symbol_in_timestamp_order()
    {
        var csv = Path.Combine(Path.GetTempPath(), $"replay-{Guid.NewGuid():N}.csv");
        File.WriteAllText(csv, "timestamp,symbol,price,volume\n" +
            "2024-01-01T00:00:02Z,AAA,10.5,100\n" +
            "2024-01-01T00:00:01Z,BB B,20,\n" +
            "2024-01-01T00:00:03Z,AAA,10.75,5\n" +
            "1704067204000,BB B,21,\n");
        var topic = kafka.CreateTopicName("replay");
        try
        {
            var output = new StringWriter();
            var old = Console.Out;
            Console.SetOut(output);
            int code;
            try { code = CommandLine.Run(["replay", "--data", csv, "--bootstrap", kafka.BootstrapServers, "--topic", topic]); }
            finally { Console.SetOut(old); }
            Assert.Equal(0, code);
            Assert.Contains($"published 4 ticks to {topic}", output.ToString());
        }
        finally
        {
            File.Delete(csv);
        }

        var records = kafka.ConsumeAll(topic, "replay-reader-" + topic, 4, TimeSpan.FromSeconds(30));
        Assert.Equal(4, records.Count);
        foreach (var record in records)
        {
            Assert.True(TickParser.TryParse(record.RawValue, out var tick, out var error), error);
            Assert.Equal(tick.Symbol, record.Key);
        }
        var aaa = records.Where(r => r.Key == "AAA").OrderBy(r => r.Offset).Select(r => Parse(r).Price).ToList();
        Assert.Equal([10.5, 10.75], aaa);
        var bbb = records.Where(r => r.Key == "BB B").OrderBy(r => r.Offset).Select(r => Parse(r)).ToList();
        Assert.Equal([20.0, 21.0], bbb.Select(t => t.Price));
        Assert.Equal(new DateTime(2024, 1, 1, 0, 0, 4, DateTimeKind.Utc), bbb[1].Timestamp);
        Assert.Equal(100, Parse(records.First(r => r.Key == "AAA")).Volume);
    }

    private static StreamLstm.Ticks.Tick Parse(KafkaRecord record)
    {
        Assert.True(TickParser.TryParse(record.RawValue, out var tick, out var error), error);
        return tick;
    }
}
