using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using StreamLstm.IntegrationTests.Fixtures;
using Xunit.Abstractions;

namespace StreamLstm.IntegrationTests;

[Collection(KafkaCollection.Name)]
public sealed class KafkaFixtureTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private static readonly string[] Symbols = ["EURUSD", "BRK.B", "ES=F", "EUR/USD", "^GSPC", "A B", "日経225", "AAPL"];

    [Fact]
    public async Task Keyed_messages_round_trip_through_a_consumer_group_with_headers_and_per_key_order()
    {
        output.WriteLine($"backend: {kafka.Backend}, bootstrap {kafka.BootstrapServers}");
        var topic = await kafka.CreateTopicAsync();
        // Sent without waiting for each acknowledgement: the idempotent producer keeps each partition's order.
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
        {
            var symbol = Symbols[i % Symbols.Length];
            return kafka.ProduceAsync(topic, symbol, $$"""{"symbol":"{{symbol}}","seq":{{i}}}""", [new("seq", Invariant(i))]);
        }));

        var group = $"g-{Guid.NewGuid():N}";
        var clock = Stopwatch.StartNew();
        var records = kafka.ConsumeAll(topic, group, 200, TimeSpan.FromSeconds(30));
        output.WriteLine($"200 messages consumed in {clock.ElapsedMilliseconds} ms");

        Assert.Equal(200, records.Count);
        Assert.Equal(Enumerable.Range(0, 200), records.Select(r => int.Parse(r.Headers["seq"], CultureInfo.InvariantCulture)).Order());
        foreach (var byKey in records.GroupBy(r => r.Key))
        {
            Assert.Single(byKey.Select(r => r.Partition).Distinct());
            var sequence = byKey.Select(r => int.Parse(r.Headers["seq"], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(sequence.Order(), sequence);
            Assert.All(byKey, r => Assert.Equal($$"""{"symbol":"{{byKey.Key}}","seq":{{r.Headers["seq"]}}}""", r.Value));
        }

        Assert.Equal(Symbols.Order(StringComparer.Ordinal), records.Select(r => r.Key!).Distinct().Order(StringComparer.Ordinal));
        Assert.True(records.Select(r => r.Partition).Distinct().Count() > 1, "keys should spread over partitions");

        // The group committed its offsets: it resumes after them and reads only what is new.
        await kafka.ProduceAsync(topic, "EURUSD", "after the commit");
        var next = kafka.ConsumeAll(topic, group, 1, TimeSpan.FromSeconds(30));
        Assert.Equal(["after the commit"], next.Select(r => r.Value));
    }

    [Fact]
    public async Task Two_consumers_in_one_group_split_the_four_partitions_and_together_read_every_message_once()
    {
        var topic = await kafka.CreateTopicAsync();
        var group = $"g-{Guid.NewGuid():N}";
        using var first = new ConsumerBuilder<string?, string?>(kafka.ConsumerConfig(group)).Build();
        using var second = new ConsumerBuilder<string?, string?>(kafka.ConsumerConfig(group)).Build();
        first.Subscribe(topic);
        second.Subscribe(topic);

        // Both must be members before anything is produced, or the first would read partitions it is about to lose.
        await Poll.UntilAsync(
            _ =>
            {
                Assert.Null(first.Consume(TimeSpan.FromMilliseconds(50)));
                Assert.Null(second.Consume(TimeSpan.FromMilliseconds(50)));
                return Task.FromResult(first.Assignment.Count > 0 && second.Assignment.Count > 0
                    && first.Assignment.Count + second.Assignment.Count == KafkaFixture.Partitions);
            },
            TimeSpan.FromSeconds(30),
            "the group's rebalance giving both consumers partitions");
        output.WriteLine($"first: {string.Join(',', first.Assignment.Select(p => p.Partition.Value))}; second: {string.Join(',', second.Assignment.Select(p => p.Partition.Value))}");
        Assert.Empty(first.Assignment.Intersect(second.Assignment));

        const int count = 100;
        await Task.WhenAll(Enumerable.Range(0, count)
            .Select(i => kafka.ProduceAsync(topic, $"key-{i % 20}", Invariant(i))));

        var readByFirst = new List<ConsumeResult<string?, string?>>();
        var readBySecond = new List<ConsumeResult<string?, string?>>();
        var clock = Stopwatch.StartNew();
        while (readByFirst.Count + readBySecond.Count < count && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (first.Consume(TimeSpan.FromMilliseconds(20)) is { } a)
            {
                readByFirst.Add(a);
            }

            if (second.Consume(TimeSpan.FromMilliseconds(20)) is { } b)
            {
                readBySecond.Add(b);
            }
        }

        Assert.NotEmpty(readByFirst);
        Assert.NotEmpty(readBySecond);
        Assert.All(readByFirst, r => Assert.Contains(r.TopicPartition, first.Assignment));
        Assert.All(readBySecond, r => Assert.Contains(r.TopicPartition, second.Assignment));
        Assert.Equal(Enumerable.Range(0, count), readByFirst.Concat(readBySecond).Select(r => int.Parse(r.Message.Value!, CultureInfo.InvariantCulture)).Order());
        first.Close();
        second.Close();
    }

    private static string Invariant(int i) => i.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Any_client_given_only_the_bootstrap_servers_sees_the_cluster()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();

        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));

        output.WriteLine($"{kafka.Backend}: brokers {string.Join(", ", metadata.Brokers.Select(b => $"{b.BrokerId}@{b.Host}:{b.Port}"))}");
        Assert.Equal(kafka.Backend == KafkaFixture.LocalBackend ? 3 : 1, metadata.Brokers.Count);
    }
}
