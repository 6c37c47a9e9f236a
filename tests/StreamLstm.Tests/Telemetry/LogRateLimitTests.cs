using StreamLstm.Telemetry;
using StreamLstm.Tests.Support;

namespace StreamLstm.Tests.Telemetry;

public class LogRateLimitTests
{
    [Fact]
    public void A_key_is_let_through_once_per_interval_and_the_next_line_counts_those_held_back()
    {
        var clock = new SteppingClock();
        var limit = new LogRateLimit(TimeSpan.FromSeconds(30), clock);
        Assert.True(limit.ShouldLog("a", out var first));
        Assert.Equal(0, first);
        for (int i = 0; i < 5; i++) Assert.False(limit.ShouldLog("a", out _));
        // Another key is independent.
        Assert.True(limit.ShouldLog("b", out _));
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True(limit.ShouldLog("a", out var suppressed));
        Assert.Equal(5, suppressed);
        Assert.False(limit.ShouldLog("a", out _));
    }

    private sealed class SteppingClock : TimeProvider
    {
        private long _ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
