using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StreamLstm.Ticks;

namespace StreamLstm.Ingest;

/// <summary>
/// Parses a tick message value: UTF-8 JSON <c>{"symbol":"EURUSD","ts":"2024-05-01T12:00:00.123Z","price":1.0712,"volume":1000}</c>.
/// <c>ts</c> is ISO-8601 (no offset means UTC) or whole Unix epoch milliseconds as a JSON number; <c>volume</c> is
/// optional, and so are <c>bid</c> and <c>ask</c>, together (see <see cref="Tick.QuoteProblem"/>); unknown fields are ignored. Anything unusable is refused with the reason, for the dead-letter topic; so
/// is a field the tick is made of given twice (JSON leaves it open which one counts, and producers disagree).
/// </summary>
public static class TickParser
{
    /// <summary>Largest accepted message value, in bytes.</summary>
    public const int MaxValueBytes = 64 * 1024;

    /// <summary>Parses <paramref name="value"/>; on failure returns false and says why in <paramref name="error"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out Tick tick, out string? error)
    {
        tick = default;
        if (value.Length > MaxValueBytes)
        {
            error = $"value is {value.Length} bytes, over the {MaxValueBytes} byte limit";
            return false;
        }
        if (value.IsEmpty)
        {
            error = "value is empty";
            return false;
        }
        string? symbol = null;
        DateTime? ts = null;
        double? price = null, volume = null, bid = null, ask = null;
        bool volumeSeen = false, bidSeen = false, askSeen = false;
        try
        {
            var reader = new Utf8JsonReader(value, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "value is not a JSON object";
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("symbol"u8))
                {
                    if (symbol is not null) { error = Duplicate("symbol"); return false; }
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String) { error = $"'symbol' is {Describe(reader.TokenType)}, not a string"; return false; }
                    symbol = reader.GetString();
                }
                else if (reader.ValueTextEquals("ts"u8))
                {
                    if (ts is not null) { error = Duplicate("ts"); return false; }
                    reader.Read();
                    if (!TryReadTimestamp(ref reader, out var parsed, out error)) return false;
                    ts = parsed;
                }
                else if (reader.ValueTextEquals("price"u8))
                {
                    if (price is not null) { error = Duplicate("price"); return false; }
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number) { error = $"'price' is {Describe(reader.TokenType)}, not a number"; return false; }
                    if (!reader.TryGetDouble(out var p) || !double.IsFinite(p)) { error = $"'price' {RawText(ref reader)} is not a positive finite number"; return false; }
                    price = p;
                }
                else if (reader.ValueTextEquals("volume"u8))
                {
                    if (!TryReadOptional(ref reader, "volume", ref volumeSeen, out volume, out error)) return false;
                }
                else if (reader.ValueTextEquals("bid"u8))
                {
                    if (!TryReadOptional(ref reader, "bid", ref bidSeen, out bid, out error)) return false;
                }
                else if (reader.ValueTextEquals("ask"u8))
                {
                    if (!TryReadOptional(ref reader, "ask", ref askSeen, out ask, out error)) return false;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject)
            {
                error = "value is not a JSON object";
                return false;
            }
            if (reader.Read())
            {
                error = "value has content after the JSON object";
                return false;
            }
        }
        catch (JsonException ex)
        {
            error = $"value is not valid JSON: {FirstSentence(ex.Message)}";
            return false;
        }
        if (symbol is null) { error = "'symbol' is missing"; return false; }
        if (SymbolRules.Validate(symbol) is { } symbolError) { error = symbolError; return false; }
        if (ts is null) { error = "'ts' is missing"; return false; }
        if (price is null) { error = "'price' is missing"; return false; }
        if (!double.IsFinite(price.Value) || price.Value <= 0) { error = $"'price' {price.Value.ToString(CultureInfo.InvariantCulture)} is not a positive finite number"; return false; }
        if (volume is { } vol && (!double.IsFinite(vol) || vol < 0)) { error = $"'volume' {vol.ToString(CultureInfo.InvariantCulture)} is not a non-negative number"; return false; }
        if (Tick.QuoteProblem(bid, ask) is { } quoteError) { error = quoteError; return false; }
        tick = new Tick(symbol, ts.Value, price.Value, volume, bid, ask);
        error = null;
        return true;
    }

    /// <summary>An optional number field (null or absent: none), refused when given twice or not a number.</summary>
    private static bool TryReadOptional(ref Utf8JsonReader reader, string field, ref bool seen, out double? value, out string? error)
    {
        value = null;
        error = null;
        if (seen) { error = Duplicate(field); return false; }
        seen = true;
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var v)) { error = $"'{field}' is {Describe(reader.TokenType)}, not a number"; return false; }
        value = v;
        return true;
    }

    private static bool TryReadTimestamp(ref Utf8JsonReader reader, out DateTime utc, out string? error)
    {
        utc = default;
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetInt64(out var ms))
            {
                error = $"'ts' {RawText(ref reader)} is a number but not whole Unix epoch milliseconds";
                return false;
            }
            if (TimestampParser.TryFromEpochMilliseconds(ms, out utc, out error)) return true;
            error = "'ts': " + error;
            return false;
        }
        if (reader.TokenType == JsonTokenType.String)
        {
            if (!reader.ValueIsEscaped && !reader.HasValueSequence && TryParseUtcFast(reader.ValueSpan, out utc))
            {
                error = null;
                return true;
            }
            var text = reader.GetString()!;
            if (TimestampParser.TryParse(text, out utc, out error)) return true;
            error = "'ts': " + error;
            return false;
        }
        error = $"'ts' is {Describe(reader.TokenType)}, not a string or a number";
        return false;
    }

    /// <summary>
    /// The common shape <c>yyyy-MM-ddTHH:mm:ss[.fffffff]Z</c> read straight from the UTF-8 bytes, without a string or
    /// a culture-aware parse; anything else (offsets, dates only, other shapes) takes the general path.
    /// </summary>
    internal static bool TryParseUtcFast(ReadOnlySpan<byte> text, out DateTime utc)
    {
        utc = default;
        if (text.Length < 20 || text[^1] != (byte)'Z' || text[4] != (byte)'-' || text[7] != (byte)'-' || text[10] != (byte)'T'
            || text[13] != (byte)':' || text[16] != (byte)':')
            return false;
        if (!Digits(text, 0, 4, out int year) || !Digits(text, 5, 2, out int month) || !Digits(text, 8, 2, out int day)
            || !Digits(text, 11, 2, out int hour) || !Digits(text, 14, 2, out int minute) || !Digits(text, 17, 2, out int second))
            return false;
        long fraction = 0;
        int end = text.Length - 1;
        if (end > 19)
        {
            if (text[19] != (byte)'.' || end - 20 < 1 || end - 20 > 7 || !Digits(text, 20, end - 20, out int digits)) return false;
            fraction = digits;
            for (int i = end - 20; i < 7; i++) fraction *= 10;
        }
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month) || hour > 23 || minute > 59 || second > 59 || year < 1)
            return false;
        utc = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(fraction);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        for (int i = start; i < start + count; i++)
        {
            int d = text[i] - '0';
            if ((uint)d > 9) return false;
            value = value * 10 + d;
        }
        return true;
    }

    private static string Duplicate(string field) => $"'{field}' is given more than once";

    private static string RawText(ref Utf8JsonReader reader) =>
        Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => type.ToString(),
    };

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.') : message[..end];
    }
}
