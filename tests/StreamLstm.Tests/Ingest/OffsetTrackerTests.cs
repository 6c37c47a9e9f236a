using StreamLstm.Ingest;

namespace StreamLstm.Tests.Ingest;

public class OffsetTrackerTests
{
    [Fact]
    public void The_stored_offset_is_one_past_the_longest_done_prefix()
    {
        var tracker = new OffsetTracker();
        for (long o = 10; o < 15; o++) tracker.Track(new SourcePosition(0, o));

        Assert.Empty(tracker.Complete([new SourcePosition(0, 12), new SourcePosition(0, 11)])); // 10 still open
        Assert.Equal([new SourcePosition(0, 13)], tracker.Complete([new SourcePosition(0, 10)]));
        Assert.Equal([new SourcePosition(0, 15)], tracker.Complete([new SourcePosition(0, 14), new SourcePosition(0, 13)]));
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void Partitions_advance_independently()
    {
        var tracker = new OffsetTracker();
        tracker.Track(new SourcePosition(0, 0));
        tracker.Track(new SourcePosition(1, 0));
        tracker.Track(new SourcePosition(1, 1));
        var advanced = tracker.Complete([new SourcePosition(1, 0), new SourcePosition(1, 1)]);
        Assert.Equal([new SourcePosition(1, 2)], advanced);
        Assert.Equal(1, tracker.InFlight);
    }

    [Fact]
    public void Forgotten_partitions_store_nothing()
    {
        var tracker = new OffsetTracker();
        tracker.Track(new SourcePosition(3, 7));
        tracker.Forget([3]);
        Assert.Empty(tracker.Complete([new SourcePosition(3, 7)]));
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void An_acknowledgement_from_before_a_revocation_says_nothing_of_the_same_offsets_consumed_again()
    {
        var tracker = new OffsetTracker();
        // Epoch 0: offsets 10 and 11 handed out, then the partition is revoked before they are done.
        tracker.Track(new SourcePosition(2, 10, Epoch: 0));
        tracker.Track(new SourcePosition(2, 11, Epoch: 0));
        tracker.Forget([2]);
        // It comes back (epoch 1) and the same offsets are consumed again.
        tracker.Track(new SourcePosition(2, 10, Epoch: 1));
        tracker.Track(new SourcePosition(2, 11, Epoch: 1));
        // The old ownership's late acknowledgement must not move the offset past unfinished work.
        Assert.Empty(tracker.Complete([new SourcePosition(2, 10, Epoch: 0), new SourcePosition(2, 11, Epoch: 0)]));
        Assert.Equal(2, tracker.InFlight);
        Assert.Equal([new SourcePosition(2, 12)], tracker.Complete([new SourcePosition(2, 10, Epoch: 1), new SourcePosition(2, 11, Epoch: 1)]));
    }
}
