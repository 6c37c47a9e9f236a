using System.Text;
using StreamLstm.Ingest;

namespace StreamLstm.Tests.Ingest;

public class TickParserTests
{
    private static (bool Ok, StreamLstm.Ticks.Tick Tick, string? Error) Parse(string json)
    {
        var ok = TickParser.TryParse(Encoding.UTF8.GetBytes(json), out var tick, out var error);
        return (ok, tick, error);
    }

    [Fact]
    public void A_valid_message_gives_the_tick_with_utc_time()
    {
        var (ok, tick, error) = Parse("""{"symbol":"EURUSD","ts":"2024-05-01T12:00:00.123Z","price":1.0712,"volume":1000,"venue":"x"}""");
        Assert.True(ok, error);
        Assert.Equal("EURUSD", tick.Symbol);
        Assert.Equal(new DateTime(2024, 5, 1, 12, 0, 0, 123, DateTimeKind.Utc), tick.Timestamp);
        Assert.Equal(1.0712, tick.Price);
        Assert.Equal(1000, tick.Volume);
    }

    [Fact]
    public void A_quote_gives_its_bid_and_ask_beside_the_price_and_round_trips_through_the_publisher()
    {
        var (ok, tick, error) = Parse("""{"symbol":"USDTHB","ts":"1997-06-01T19:28:00Z","price":24.9,"bid":24.8,"ask":25}""");
        Assert.True(ok, error);
        Assert.Equal((24.9, 24.8, 25.0), (tick.Price, tick.Bid!.Value, tick.Ask!.Value));
        Assert.Null(tick.Volume);
        Assert.True(TickParser.TryParse(TickPublisher.Serialize(tick), out var again, out error), error);
        Assert.Equal(tick, again);
        // A locked market (bid = ask) is a valid quote; null is absent, as for volume.
        Assert.True(Parse("""{"symbol":"X","ts":"2024-05-01","price":1,"bid":1,"ask":1}""").Ok);
        Assert.Null(Parse("""{"symbol":"X","ts":"2024-05-01","price":1,"bid":null,"ask":null}""").Tick.Bid);
    }

    [Theory]
    [InlineData("""{"symbol":"BRK.B","ts":1714564800123,"price":400.5}""", "BRK.B")]
    [InlineData("""{"ts":"2024-05-01T12:00:00","price":1,"symbol":"日経225"}""", "日経225")]
    [InlineData("""{"symbol":"A B,c=d/^","ts":"2024-05-01","price":1e2,"volume":null}""", "A B,c=d/^")]
    public void Epoch_milliseconds_field_order_and_any_printable_symbol_are_accepted(string json, string symbol)
    {
        var (ok, tick, error) = Parse(json);
        Assert.True(ok, error);
        Assert.Equal(symbol, tick.Symbol);
    }

    [Theory]
    [InlineData("not json", "value is not valid JSON")]
    [InlineData("[1,2]", "value is not a JSON object")]
    [InlineData("", "value is empty")]
    [InlineData("""{"ts":"2024-05-01","price":1}""", "'symbol' is missing")]
    [InlineData("""{"symbol":"X","price":1}""", "'ts' is missing")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01"}""", "'price' is missing")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":"1.5"}""", "'price' is a string, not a number")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":-1}""", "'price' -1 is not a positive finite number")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":0}""", "'price' 0 is not a positive finite number")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":NaN}""", "value is not valid JSON")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1e400}""", "'price' 1e400 is not a positive finite number")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"volume":"many"}""", "'volume' is a string, not a number")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"price":2}""", "'price' is given more than once")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","symbol":"Y","price":1}""", "'symbol' is given more than once")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"ts":1714564800123}""", "'ts' is given more than once")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"volume":null,"volume":3}""", "'volume' is given more than once")]
    [InlineData("""{"symbol":"X","ts":1714564800123000,"price":1}""", "'ts': timestamp 1714564800123000 is out of range for epoch milliseconds; it looks like epoch microseconds (2024-05-01T12:00:00.123Z)")]
    [InlineData("""{"symbol":"X","ts":1714564800123000000,"price":1}""", "'ts': timestamp 1714564800123000000 is out of range for epoch milliseconds; it looks like epoch nanoseconds (2024-05-01T12:00:00.123Z)")]
    [InlineData("""{"symbol":42,"ts":"2024-05-01","price":1}""", "'symbol' is a number, not a string")]
    [InlineData("""{"symbol":"EUR\nUSD","ts":"2024-05-01","price":1}""", "symbol contains control character U+000A")]
    [InlineData("""{"symbol":"EUR\tUSD","ts":"2024-05-01","price":1}""", "symbol contains control character U+0009")]
    [InlineData("""{"symbol":"EURUSD\\","ts":"2024-05-01","price":1}""", "symbol ends with a backslash")]
    [InlineData("""{"symbol":"","ts":"2024-05-01","price":1}""", "symbol is empty")]
    [InlineData("""{"symbol":"X","ts":"yesterday","price":1}""", "'ts': timestamp 'yesterday' is not ISO-8601")]
    [InlineData("""{"symbol":"X","ts":1991.5,"price":1}""", "'ts' 1991.5 is a number but not whole Unix epoch milliseconds")]
    [InlineData("""{"symbol":"X","ts":true,"price":1}""", "'ts' is a boolean, not a string or a number")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1} {}""", "value is not valid JSON")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"volume":-5}""", "'volume' -5 is not a non-negative number")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"bid":1.2,"ask":1.1}""", "'bid' 1.2 is above 'ask' 1.1")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"bid":0,"ask":1.1}""", "'bid' 0 is not a positive finite number")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"bid":1,"ask":-1}""", "'ask' -1 is not a positive finite number")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"bid":1}""", "'bid' is given without 'ask'")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"ask":1}""", "'ask' is given without 'bid'")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"bid":"1","ask":1}""", "'bid' is a string, not a number")]
    [InlineData("""{"symbol":"X","ts":"2024-05-01","price":1,"bid":1,"ask":2,"ask":3}""", "'ask' is given more than once")]
    public void Unusable_messages_are_refused_with_the_reason(string json, string reason)
    {
        var (ok, _, error) = Parse(json);
        Assert.False(ok);
        Assert.StartsWith(reason, error);
    }

    [Theory]
    [InlineData("2024-05-01T12:00:00Z")]
    [InlineData("2024-05-01T12:00:00.1Z")]
    [InlineData("2024-05-01T12:00:00.123Z")]
    [InlineData("2024-05-01T12:00:00.1234567Z")]
    [InlineData("2024-02-29T23:59:59.9999999Z")]
    [InlineData("1999-12-31T00:00:00.000Z")]
    public void The_fast_path_for_utc_timestamps_agrees_with_the_general_parser(string text)
    {
        Assert.True(TickParser.TryParseUtcFast(Encoding.UTF8.GetBytes(text), out var fast));
        Assert.True(StreamLstm.Ticks.TimestampParser.TryParse(text, out var general, out _));
        Assert.Equal(general, fast);
        Assert.Equal(DateTimeKind.Utc, fast.Kind);
    }

    [Theory]
    [InlineData("2024-05-01T12:00:00+02:00")]
    [InlineData("2024-05-01")]
    [InlineData("2024-13-01T12:00:00Z")]
    [InlineData("2023-02-29T12:00:00Z")]
    [InlineData("2024-05-01T24:00:00Z")]
    [InlineData("2024-05-01T12:00:00.12345678Z")]
    [InlineData("2024-05-01T12:00:00.Z")]
    [InlineData("2024-05-01 12:00:00Z")]
    public void Other_shapes_take_the_general_path(string text) =>
        Assert.False(TickParser.TryParseUtcFast(Encoding.UTF8.GetBytes(text), out _));

    [Fact]
    public void Values_over_64_KiB_are_refused_before_parsing()
    {
        var big = "{\"symbol\":\"X\",\"ts\":\"2024-05-01\",\"price\":1,\"pad\":\"" + new string('a', 70_000) + "\"}";
        var (ok, _, error) = Parse(big);
        Assert.False(ok);
        Assert.Contains("over the 65536 byte limit", error);
    }

    [Fact]
    public void Symbols_longer_than_64_characters_are_refused()
    {
        var (ok, _, error) = Parse($$"""{"symbol":"{{new string('X', 65)}}","ts":"2024-05-01","price":1}""");
        Assert.False(ok);
        Assert.Contains("longer than 64", error);
    }
}
