namespace StreamLstm.Tests.Support;

/// <summary>A wall clock that says what the test sets.</summary>
internal sealed class FixedClock(DateTime utcNow) : TimeProvider
{
    public DateTime UtcNow { get; set; } = utcNow;

    public override DateTimeOffset GetUtcNow() => new(UtcNow, TimeSpan.Zero);
}
