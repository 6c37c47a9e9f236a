using StreamLstm.Ingest;
using StreamLstm.Tests.Support;
using StreamLstm.Ticks;

namespace StreamLstm.Tests.Ingest;

public class TickAdmissionTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    private static Tick At(string symbol, DateTime time) => new(symbol, time, 1.5);

    [Fact]
    public void A_tick_further_ahead_of_the_clock_than_the_skew_is_refused_with_how_far()
    {
        var admission = new TickAdmission(new TickSettings(), 10, new FixedClock(Now));
        var refusal = admission.Admit(At("UAESC", new DateTime(2099, 1, 1, 0, 0, 0, DateTimeKind.Utc)), 0);
        Assert.NotNull(refusal);
        Assert.Equal(TickAdmission.RefusalKind.Future, refusal.Value.Kind);
        Assert.Equal("'ts' 2099-01-01T00:00:00.000Z is 26,328 days ahead of the clock (2026-12-01T12:00:00.000Z), more than Ticks:MaxClockSkew (00:05:00)",
            refusal.Value.Reason);
        // A refused tick takes no symbol slot.
        Assert.Equal(0, admission.Symbols);
    }

    [Fact]
    public void Ticks_within_the_skew_and_ticks_of_the_past_are_admitted()
    {
        var admission = new TickAdmission(new TickSettings { MaxClockSkew = TimeSpan.FromMinutes(1) }, 10, new FixedClock(Now));
        Assert.Null(admission.Admit(At("A", Now.AddSeconds(60)), 0));
        Assert.Null(admission.Admit(At("A", new DateTime(1990, 1, 2, 0, 0, 0, DateTimeKind.Utc)), 0));
        var refusal = admission.Admit(At("A", Now.AddSeconds(61)), 0);
        Assert.Equal("'ts' 2026-12-01T12:01:01.000Z is 1.0 minutes ahead of the clock (2026-12-01T12:00:00.000Z), more than Ticks:MaxClockSkew (00:01:00)",
            refusal?.Reason);
    }

    [Fact]
    public void New_symbols_beyond_the_bound_are_refused_and_known_ones_still_admitted()
    {
        var admission = new TickAdmission(new TickSettings(), 3, new FixedClock(Now));
        foreach (var symbol in new[] { "A", "B", "C" }) Assert.Null(admission.Admit(At(symbol, Now), 0));
        var refusal = admission.Admit(At("D", Now), 0);
        Assert.Equal(TickAdmission.RefusalKind.TooManySymbols, refusal?.Kind);
        Assert.Equal("symbol 'D' is new and the worker already keeps state for Serving:MaxSymbols (3) symbols", refusal?.Reason);
        Assert.Null(admission.Admit(At("B", Now), 0));
        Assert.Equal(3, admission.Symbols);
    }

    [Fact]
    public void Symbols_of_a_revoked_partition_free_their_places()
    {
        var admission = new TickAdmission(new TickSettings(), 2, new FixedClock(Now));
        Assert.Null(admission.Admit(At("A", Now), 0));
        Assert.Null(admission.Admit(At("B", Now), 1));
        Assert.NotNull(admission.Admit(At("C", Now), 1));
        admission.Forget([1]);
        Assert.Equal(1, admission.Symbols);
        Assert.Null(admission.Admit(At("C", Now), 2));
        // A symbol belongs to the partition its last tick came on (null keys spread a symbol over partitions).
        Assert.Null(admission.Admit(At("A", Now), 2));
        admission.Forget([0]);
        Assert.Equal(2, admission.Symbols);
    }
}
