using StreamLstm.Model;

namespace StreamLstm.Tests.Model;

public class ModelLogTests
{
    private static readonly DateTime Utc = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>A partition: records in offset order, folded as they are appended (what a reader that keeps up sees).</summary>
    private sealed class Partition
    {
        public List<(long Offset, string Key, byte[]? Value)> Records { get; } = [];

        public ModelLog Log { get; } = new();

        public ModelLogDecision Append(string key, byte[]? value, DateTime? utc = null)
        {
            long offset = Records.Count;
            Records.Add((offset, key, value));
            return Log.Apply(offset, key, value, utc ?? Utc);
        }

        /// <summary>Claims the next id with a manifest of upload <paramref name="upload"/> as a writer that saw <paramref name="highest"/>.</summary>
        public ModelLogDecision Claim(int highest, string upload) => Append(ModelRecordKeys.Version($"v{highest + 1}", upload), "{}"u8.ToArray());

        public ModelLogDecision Propose(string version, long expectedGeneration) =>
            Append(ModelRecordKeys.Current(Guid.NewGuid().ToString("N")), new ModelSwitchRecord(version, "test", Utc, expectedGeneration).ToBytes());

        /// <summary>Adds a version as one writer alone would: a chunk, a manifest claiming the next id, a switch to it.</summary>
        public string AddAndSwitch()
        {
            var upload = Guid.NewGuid().ToString("N");
            Append(ModelRecordKeys.Weights(upload, 0), [1, 2, 3]);
            Assert.Equal(ModelLogDecision.Accepted, Claim(Log.Highest, upload));
            var id = $"v{Log.Highest}";
            Assert.Equal(ModelLogDecision.Accepted, Propose(id, Log.Generation));
            return id;
        }
    }

    private static ModelLog Fold(IEnumerable<(long Offset, string Key, byte[]? Value)> records)
    {
        var log = new ModelLog();
        foreach (var (offset, key, value) in records) log.Apply(offset, key, value, Utc);
        return log;
    }

    /// <summary>
    /// What Kafka's cleaner leaves after cleaning up to <paramref name="cut"/>: a record below the cut is dropped when a
    /// later record below the cut has its key; a tombstone that is the last of its key is dropped too when
    /// <paramref name="dropTombstones"/> (its retention passed). Records from the cut on are untouched.
    /// </summary>
    private static List<(long Offset, string Key, byte[]? Value)> Compact(List<(long Offset, string Key, byte[]? Value)> records, long cut, bool dropTombstones)
    {
        var last = records.Where(r => r.Offset < cut).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Max(r => r.Offset));
        return records.Where(r => r.Offset >= cut || (r.Offset == last[r.Key] && !(dropTombstones && r.Value is null))).ToList();
    }

    [Fact]
    public void The_first_claim_of_a_version_id_wins_and_every_later_claim_of_it_is_refused()
    {
        var topic = new Partition();
        Assert.Equal(ModelLogDecision.Accepted, topic.Claim(0, "a"));
        // Two writers that both saw v1 as the highest claim v2: the first in the partition wins.
        Assert.Equal(ModelLogDecision.Accepted, topic.Claim(1, "b"));
        Assert.Equal(ModelLogDecision.Refused, topic.Claim(1, "c"));
        // The loser claims again from what it reads now.
        Assert.Equal(ModelLogDecision.Accepted, topic.Claim(topic.Log.Highest, "c"));
        Assert.Equal(["v1", "v2", "v3"], topic.Log.Versions.Select(v => v.Id));
        Assert.Equal("b", topic.Log.Versions.Single(v => v.Id == "v2").Upload);
    }

    [Fact]
    public void The_first_switch_from_a_generation_wins_and_stale_or_unreadable_ones_are_refused()
    {
        var topic = new Partition();
        Assert.Equal(ModelLogDecision.Accepted, topic.Propose("v1", 0));
        Assert.Equal(ModelLogDecision.Accepted, topic.Propose("v2", 1));
        Assert.Equal(ModelLogDecision.Refused, topic.Propose("v3", 1));
        Assert.Equal(ModelLogDecision.Refused, topic.Propose("v3", 0));
        Assert.Equal(ModelLogDecision.Refused, topic.Append(ModelRecordKeys.Current("x"), "not json"u8.ToArray()));
        Assert.Equal(ModelLogDecision.Refused, topic.Append(ModelRecordKeys.Current("y"), new ModelSwitchRecord("../v1", "r", Utc, 2).ToBytes()));
        Assert.Equal(ModelLogDecision.Accepted, topic.Propose(NaiveModel.Id, 2));
        Assert.Equal(NaiveModel.Id, topic.Log.Current);
        Assert.Equal(3, topic.Log.Generation);
        Assert.Equal(["v1", "v2", NaiveModel.Id], topic.Log.Switches.Select(s => s.Version));
    }

    [Fact]
    public void A_switch_keeps_its_source_and_one_recorded_without_a_source_or_with_an_unknown_one_has_none()
    {
        var topic = new Partition();
        topic.Append(ModelRecordKeys.Current("a"), new ModelSwitchRecord("v1", "trained", Utc, 0, ModelSwitchSource.Train).ToBytes());
        // What an earlier release wrote: no source field.
        topic.Append(ModelRecordKeys.Current("b"), """{"version":"v2","reason":"promoted","utc":"2026-12-01T00:00:00Z","expected_generation":1}"""u8.ToArray());
        topic.Append(ModelRecordKeys.Current("c"), new ModelSwitchRecord("v1", "rollback", Utc, 2, "someone").ToBytes());
        Assert.Equal([ModelSwitchSource.Train, null, null], topic.Log.Switches.Select(s => s.Source));
        Assert.Equal(new ModelSwitch(Utc, "v1", "trained", ModelSwitchSource.Train), topic.Log.Switches[0].ToModelSwitch());
        Assert.Contains("\"source\":\"train\"", System.Text.Encoding.UTF8.GetString(new ModelSwitchRecord("v1", "trained", Utc, 0, ModelSwitchSource.Train).ToBytes()));
    }

    [Fact]
    public void A_compacted_topic_folds_to_the_same_store_and_decides_every_later_claim_alike_wherever_the_cleaner_stopped()
    {
        var topic = new Partition();
        topic.AddAndSwitch();
        // A race for v2 and for the switch from generation 1: one winner each; the losers withdraw their claim or give up.
        var (a, b) = ("upload-a", "upload-b");
        topic.Append(ModelRecordKeys.Weights(a, 0), [1]);
        topic.Append(ModelRecordKeys.Weights(b, 0), [2]);
        Assert.Equal(ModelLogDecision.Accepted, topic.Claim(1, a));
        Assert.Equal(ModelLogDecision.Refused, topic.Claim(1, b));
        topic.Append(ModelRecordKeys.Version("v2", b), null);
        Assert.Equal(ModelLogDecision.Accepted, topic.Claim(topic.Log.Highest, b));
        Assert.Equal(ModelLogDecision.Accepted, topic.Propose("v2", 1));
        Assert.Equal(ModelLogDecision.Refused, topic.Propose("v3", 1));
        // A stale trainer's switch, and a claim left behind by a writer that died before withdrawing it.
        Assert.Equal(ModelLogDecision.Refused, topic.Propose("v3", 0));
        Assert.Equal(ModelLogDecision.Refused, topic.Claim(2, "dead"));
        for (int i = 0; i < 4; i++) topic.AddAndSwitch();
        topic.Append(ModelRecordKeys.Weights("abandoned", 0), [9], Utc.AddHours(-2));

        var history = topic.Log.Switches.Select(s => s.ToModelSwitch()).ToList();
        var pruned = ModelStoreRules.PruneCandidates(topic.Log.Versions.Select(v => v.Id).ToList(), 2, topic.Log.Current, history);
        Assert.Equal(["v1", "v2", "v3", "v4"], pruned.Take(4));
        foreach (var key in topic.Log.Tombstones(pruned, keepSwitches: 2, abandonedBefore: Utc.AddHours(-1))) topic.Append(key, null);
        // Very late writers: a claim of a pruned id, and a switch from a generation long gone.
        Assert.Equal(ModelLogDecision.Refused, topic.Claim(1, "late"));
        Assert.Equal(ModelLogDecision.Refused, topic.Propose("v2", 1));

        var whole = topic.Log;
        Assert.Equal(["v6", "v7"], whole.Versions.Select(v => v.Id).Where(id => !pruned.Contains(id)));
        for (long cut = 0; cut <= topic.Records.Count; cut++)
        {
            foreach (var dropTombstones in new[] { false, true })
            {
                var records = Compact(topic.Records, cut, dropTombstones);
                // A reader reads to the high watermark, which is never below what the cleaner has cleaned: wherever it
                // stops from the cut on (the pruner's tombstones half written, say), it sees what a reader of the whole log sees.
                for (long end = cut; end <= topic.Records.Count; end++)
                {
                    var partial = Fold(records.Where(r => r.Offset < end));
                    var reference = Fold(topic.Records.Where(r => r.Offset < end));
                    Assert.Equal(reference.Current, partial.Current);
                    Assert.Equal(reference.Versions.Select(v => v.Key), partial.Versions.Select(v => v.Key));
                }
                var view = Fold(records);
                Assert.Equal(whole.Current, view.Current);
                Assert.Equal(whole.Generation, view.Generation);
                Assert.Equal(whole.Highest, view.Highest);
                Assert.Equal(whole.Versions.Select(v => v.Id), view.Versions.Select(v => v.Id));
                Assert.Equal(whole.Versions.Select(v => v.Upload), view.Versions.Select(v => v.Upload));

                // The claims written next are decided alike by a reader of the whole log and one of the compacted log.
                long next = topic.Records.Count;
                (string, byte[]?)[] claims =
                [
                    (ModelRecordKeys.Current("stale"), new ModelSwitchRecord("v6", "t", Utc, whole.Generation - 1).ToBytes()),
                    (ModelRecordKeys.Version($"v{whole.Highest}", "again"), "{}"u8.ToArray()),
                    (ModelRecordKeys.Current("fresh"), new ModelSwitchRecord("v6", "t", Utc, whole.Generation).ToBytes()),
                    (ModelRecordKeys.Version($"v{whole.Highest + 1}", "new"), "{}"u8.ToArray()),
                ];
                var copy = Fold(topic.Records);
                foreach (var (key, value) in claims)
                {
                    var expected = copy.Apply(next, key, value, Utc);
                    Assert.Equal(expected, view.Apply(next, key, value, Utc));
                    next++;
                }
                Assert.Equal(copy.Current, view.Current);
            }
        }
    }

    [Fact]
    public void Pruning_withdraws_refused_claims_before_the_manifests_and_keeps_the_newest_switches_and_young_uploads()
    {
        var topic = new Partition();
        var v1 = topic.AddAndSwitch();
        topic.AddAndSwitch();
        topic.AddAndSwitch();
        Assert.Equal(ModelLogDecision.Refused, topic.Claim(1, "loser"));
        topic.Append(ModelRecordKeys.Weights("young", 0), [1], Utc);
        var uploadOfV1 = topic.Log.Versions.First().Upload;

        var keys = topic.Log.Tombstones([v1], keepSwitches: 2, abandonedBefore: Utc.AddMinutes(-1));

        Assert.Equal(ModelRecordKeys.Version("v2", "loser"), keys[0]);
        Assert.Equal(ModelRecordKeys.Version("v1", uploadOfV1), keys[1]);
        Assert.Equal(topic.Log.Switches[0].Key, keys[2]);
        Assert.Equal(ModelRecordKeys.Weights(uploadOfV1, 0), keys[3]);
        Assert.Equal(4, keys.Count);
    }

    [Fact]
    public void Tombstones_remove_versions_chunks_and_switches_but_not_the_current_version_or_the_next_id()
    {
        var topic = new Partition();
        topic.AddAndSwitch();
        topic.AddAndSwitch();
        var first = topic.Log.Versions.First();
        topic.Append(first.Key, null);
        topic.Append(ModelRecordKeys.Weights(first.Upload, 0), null);
        topic.Append(topic.Log.Switches[0].Key, null);
        Assert.Equal(["v2"], topic.Log.Versions.Select(v => v.Id));
        Assert.Empty(topic.Log.Chunks(first));
        Assert.Equal(["v2"], topic.Log.Switches.Select(s => s.Version));
        Assert.Equal("v2", topic.Log.Current);
        Assert.Equal(2, topic.Log.Highest);
        Assert.Equal(ModelLogDecision.Refused, topic.Claim(0, "reuse"));
    }
}
