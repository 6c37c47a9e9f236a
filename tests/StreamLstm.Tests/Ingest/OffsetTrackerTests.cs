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

    [Fact]
    public void Gated_by_checkpoints_an_offset_is_stored_only_once_every_tick_before_it_is_in_a_written_checkpoint()
    {
        var tracker = new OffsetTracker(gated: true);
        for (long offset = 0; offset < 5; offset++) tracker.Track(new SourcePosition(0, offset));
        tracker.Track(new SourcePosition(0, 5), tick: false); // ends as a dead letter
        // All done, but no checkpoint yet: nothing may be committed (a restart must read these ticks again).
        Assert.Empty(tracker.Complete(Enumerable.Range(0, 6).Select(o => new SourcePosition(0, o))));
        Assert.Equal(6, tracker.DoneBefore(0, 0));
        // A checkpoint through offset 2: up to there.
        Assert.Equal(new SourcePosition(0, 3, 0), tracker.Checkpointed(0, 0, through: 2));
        // Through the last tick: past the dead letter that follows it too.
        Assert.Equal(new SourcePosition(0, 6, 0), tracker.Checkpointed(0, 0, through: 4));
        Assert.Null(tracker.Checkpointed(0, 0, through: 4));
    }

    [Fact]
    public void Gated_by_checkpoints_dead_letters_after_the_last_checkpointed_tick_are_stored_when_acknowledged()
    {
        var tracker = new OffsetTracker(gated: true);
        tracker.Track(new SourcePosition(1, 0));
        tracker.Complete([new SourcePosition(1, 0)]);
        Assert.Equal(new SourcePosition(1, 1, 0), tracker.Checkpointed(1, 0, through: 0));
        tracker.Track(new SourcePosition(1, 1), tick: false);
        Assert.Equal([new SourcePosition(1, 2)], tracker.Complete([new SourcePosition(1, 1)]));
        // A tick not yet checkpointed holds back what follows it.
        tracker.Track(new SourcePosition(1, 2));
        tracker.Track(new SourcePosition(1, 3), tick: false);
        Assert.Empty(tracker.Complete([new SourcePosition(1, 2), new SourcePosition(1, 3)]));
        // A partition with only dead letters, never a tick, stores as it goes; a stale ownership's checkpoint stores nothing.
        tracker.Track(new SourcePosition(2, 40), tick: false);
        Assert.Equal([new SourcePosition(2, 41)], tracker.Complete([new SourcePosition(2, 40)]));
        Assert.Null(tracker.Checkpointed(1, 7, through: 2));
    }
}
