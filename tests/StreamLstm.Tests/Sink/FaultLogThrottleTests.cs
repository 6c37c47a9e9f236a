using StreamLstm.Sink;

namespace StreamLstm.Tests.Sink;

public class FaultLogThrottleTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_repeated_fault_is_logged_at_once_then_once_an_interval_with_the_occurrences_since_the_last_line()
    {
        var throttle = new FaultLogThrottle(TimeSpan.FromMinutes(1));
        Assert.True(throttle.Record("401", Start, out var first));
        Assert.Equal(1, first);
        Assert.False(throttle.Record("401", Start.AddSeconds(20), out _));
        Assert.False(throttle.Record("401", Start.AddSeconds(59), out _));
        Assert.True(throttle.Record("401", Start.AddSeconds(60), out var later));
        Assert.Equal(3, later);
        Assert.Equal(4, throttle.Reset());
    }

    [Fact]
    public void Another_fault_is_logged_at_once_and_after_a_reset_the_same_fault_is_news_again()
    {
        var throttle = new FaultLogThrottle(TimeSpan.FromMinutes(1));
        Assert.True(throttle.Record("401", Start, out _));
        Assert.True(throttle.Record("404", Start.AddSeconds(1), out var changed));
        Assert.Equal(1, changed);
        Assert.Equal(2, throttle.Reset());
        Assert.Equal(0, throttle.Reset());
        Assert.True(throttle.Record("404", Start.AddSeconds(2), out var again));
        Assert.Equal(1, again);
    }
}
