using System.Globalization;

namespace StreamLstm.Ticks;

/// <summary>
/// Parses tick times: ISO-8601 dates or date-times (no offset means UTC) or whole Unix epoch milliseconds.
/// Any other number (a decimal year, say) is refused.
/// </summary>
public static class TimestampParser
{
    private static readonly string[] DateOnlyFormats = ["yyyy-MM-dd"];

    /// <summary>Parses <paramref name="text"/>; on failure returns false and says why in <paramref name="error"/>.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out DateTime utc, out string? error)
    {
        utc = default;
        error = null;
        text = text.Trim();
        if (text.IsEmpty)
        {
            error = "timestamp is empty";
            return false;
        }
        if (IsAllDigits(text))
        {
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms))
                return TryFromEpochMilliseconds(ms, out utc, out error);
            error = $"timestamp '{text}' is out of range for epoch milliseconds";
            return false;
        }
        else if (LooksNumeric(text))
        {
            error = $"timestamp '{text}' is a number but not whole Unix epoch milliseconds";
            return false;
        }
        if (text.Length == 10 && DateTime.TryParseExact(text, DateOnlyFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out utc))
            return true;
        if (text.Length >= 16 && text[4] == '-' && text[7] == '-' && (text[10] == 'T' || text[10] == ' ')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var dto))
        {
            utc = dto.UtcDateTime;
            return true;
        }
        error = $"timestamp '{text}' is not ISO-8601 or Unix epoch milliseconds";
        return false;
    }

    private const long MaxEpochMilliseconds = 253402300799999L;

    /// <summary>
    /// Converts whole Unix epoch milliseconds, refusing values outside the representable range. A value too large
    /// for milliseconds that reads as epoch microseconds or nanoseconds (a producer's common mistake: any such value
    /// of a date after 1977 is out of range for milliseconds) is refused with the date it would be in that unit.
    /// </summary>
    public static bool TryFromEpochMilliseconds(long ms, out DateTime utc, out string? error)
    {
        utc = default;
        error = null;
        if (ms < -62135596800000L || ms > MaxEpochMilliseconds)
        {
            error = $"timestamp {ms} is out of range for epoch milliseconds{UnitHint(ms)}";
            return false;
        }
        utc = DateTime.UnixEpoch.AddMilliseconds(ms);
        return true;
    }

    /// <summary>Formats a UTC time the way errors show it: ISO-8601 with milliseconds and <c>Z</c>.</summary>
    public static string Format(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string UnitHint(long value)
    {
        if (value <= MaxEpochMilliseconds) return "";
        // Every positive long is below 9.3e18 ns, so a value too large for microseconds reads as nanoseconds.
        return value / 1000 <= MaxEpochMilliseconds
            ? $"; it looks like epoch microseconds ({Format(DateTime.UnixEpoch.AddTicks(value * 10))}): send milliseconds"
            : $"; it looks like epoch nanoseconds ({Format(DateTime.UnixEpoch.AddTicks(value / 100))}): send milliseconds";
    }

    private static bool IsAllDigits(ReadOnlySpan<char> text)
    {
        var start = text[0] == '-' ? 1 : 0;
        if (start == text.Length) return false;
        foreach (var ch in text[start..])
        {
            if (ch is < '0' or > '9') return false;
        }
        return true;
    }

    private static bool LooksNumeric(ReadOnlySpan<char> text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
