using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using StreamLstm.Ingest;
using StreamLstm.IntegrationTests.Fixtures;
using StreamLstm.State;
using Xunit.Abstractions;

namespace StreamLstm.IntegrationTests;

/// <summary>The state changelog against the broker: created when missing, written, read back newest-first per symbol, tombstoned.</summary>
[Collection(KafkaCollection.Name)]
public sealed class StateChangelogTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_missing_changelog_is_made_with_the_tick_topics_partitions_and_reads_back_the_newest_record_of_each_symbol()
    {
        var topic = await kafka.CreateTopicAsync("state");
        using var changelog = new StateChangelog(new KafkaOptions { BootstrapServers = kafka.BootstrapServers, Topic = topic }, NullLogger.Instance);
        Assert.Equal(topic + ".state", changelog.Topic);
        var clock = Stopwatch.StartNew();
        changelog.Prepare(TimeSpan.FromSeconds(5));
        output.WriteLine($"backend {kafka.Backend}: Prepare returned after {clock.ElapsedMilliseconds} ms");
        await Poll.UntilAsync(_ => Task.FromResult(changelog.Ready), Timeout, "the changelog ready", () => "");
        output.WriteLine($"backend {kafka.Backend}: ready after {clock.ElapsedMilliseconds} ms");
        // Nothing written yet: every partition reads back empty.
        Assert.All(changelog.Read([0, 1, 2, 3], Timeout).Values, Assert.Empty);

        Write(changelog, new StateCheckpoint([
            new PartitionCheckpoint(0, 0, 10, [new("A", [1, 1]), new("B", [1, 2])]),
            new PartitionCheckpoint(3, 0, 7, [new("C", [1, 3])]),
        ]));
        Write(changelog, new StateCheckpoint([new PartitionCheckpoint(0, 0, 20, [new("A", [1, 4])])]));
        Assert.Equal(Enumerable.Range(0, KafkaFixture.Partitions), changelog.Partitions(Timeout));

        var read = changelog.Read([0, 1, 3], Timeout);
        Assert.Equal([(byte)1, (byte)4], read[0].Single(r => r.Key == "A").Value);
        Assert.Equal([(byte)1, (byte)2], read[0].Single(r => r.Key == "B").Value);
        Assert.Empty(read[1]);
        Assert.Equal("C", Assert.Single(read[3]).Key);

        // A tombstone deletes a symbol's state (state drop).
        changelog.Delete([(0, "A")], Timeout);
        Assert.Equal(["B"], changelog.Read([0], Timeout)[0].Select(r => r.Key));
    }

    private static void Write(StateChangelog changelog, StateCheckpoint checkpoint)
    {
        using var written = new ManualResetEventSlim();
        string? failure = "not called";
        changelog.Write(checkpoint, error =>
        {
            failure = error;
            written.Set();
        });
        Assert.True(written.Wait(Timeout), "the checkpoint was not acknowledged");
        Assert.Null(failure);
    }
}
