using StreamLstm.Ticks;

namespace StreamLstm.Tests.Ticks;

public class TimestampParserTests
{
    [Theory]
    [InlineData("2024-05-01", "2024-05-01T00:00:00.0000000Z")]
    [InlineData("2024-05-01T12:00:00.123Z", "2024-05-01T12:00:00.1230000Z")]
    [InlineData("2024-05-01T12:00:00", "2024-05-01T12:00:00.0000000Z")]
    [InlineData("1997-06-01T19:28", "1997-06-01T19:28:00.0000000Z")]
    [InlineData("1996-04-01T00:30:00+02:00", "1996-03-31T22:30:00.0000000Z")]
    [InlineData("1714564800123", "2024-05-01T12:00:00.1230000Z")]
    public void Parses_iso_dates_and_epoch_milliseconds_as_utc(string text, string expected)
    {
        Assert.True(TimestampParser.TryParse(text, out var utc, out var error), error);
        Assert.Equal(DateTimeKind.Utc, utc.Kind);
        Assert.Equal(expected, utc.ToString("O"));
    }

    [Theory]
    [InlineData("1991.496154", "not whole Unix epoch milliseconds")]
    [InlineData("1.5e12", "not whole Unix epoch milliseconds")]
    [InlineData("yesterday", "not ISO-8601")]
    [InlineData("", "empty")]
    [InlineData("99999999999999999999", "out of range")]
    public void Refuses_other_numbers_and_text_with_a_reason(string text, string reason)
    {
        Assert.False(TimestampParser.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData(1714564800123000L, "timestamp 1714564800123000 is out of range for epoch milliseconds; it looks like epoch microseconds (2024-05-01T12:00:00.123Z): send milliseconds")]
    [InlineData(1714564800123456789L, "timestamp 1714564800123456789 is out of range for epoch milliseconds; it looks like epoch nanoseconds (2024-05-01T12:00:00.123Z): send milliseconds")]
    [InlineData(-99999999999999999L, "timestamp -99999999999999999 is out of range for epoch milliseconds")]
    public void Epoch_microseconds_and_nanoseconds_are_refused_saying_what_they_look_like(long value, string expected)
    {
        Assert.False(TimestampParser.TryFromEpochMilliseconds(value, out _, out var error));
        Assert.Equal(expected, error);
        Assert.False(TimestampParser.TryParse(value.ToString(System.Globalization.CultureInfo.InvariantCulture), out _, out var parsed));
        Assert.Equal(expected, parsed);
    }
}
