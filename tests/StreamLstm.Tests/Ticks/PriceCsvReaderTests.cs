using StreamLstm.Ticks;

namespace StreamLstm.Tests.Ticks;

public class PriceCsvReaderTests
{
    private static List<Tick> Read(string csv) => PriceCsvReader.Read(new StringReader(csv), "test.csv").Ticks;

    [Fact]
    public void Reads_interleaved_symbols_with_extra_columns_and_volume()
    {
        var ticks = Read("timestamp,symbol,price,open,volume\n2024-01-02,AA,10.5,1,100\n2024-01-02,\"A B\",20,1,\n2024-01-03,AA,11,1,200\n");
        Assert.Equal(3, ticks.Count);
        Assert.Equal(new Tick("AA", new DateTime(2024, 1, 2, 0, 0, 0, DateTimeKind.Utc), 10.5, 100), ticks[0]);
        Assert.Equal("A B", ticks[1].Symbol);
        Assert.Null(ticks[1].Volume);
        Assert.Equal(200, ticks[2].Volume);
    }

    [Fact]
    public void Rows_with_a_bad_quote_are_skipped_and_counted_with_the_first_line_and_reason()
    {
        const string Csv = "timestamp,symbol,price,bid,ask\n2024-01-02,AA,1,0.9,1.1\n2024-01-03,AA,0.55,1.1,0\n2024-01-04,AA,1,1.1,1.05\n2024-01-05,AA,1,1,\n2024-01-06,AA,1.2,1.1,1.3\n";
        var data = PriceCsvReader.Read(new StringReader(Csv), "test.csv");
        Assert.Equal([1.0, 1.2], data.Ticks.Select(t => t.Price));
        Assert.Equal(3, data.BadQuoteRows);
        Assert.Equal((3, "ask 0 is not a positive finite number"), data.FirstBadQuote);
    }

    [Fact]
    public void Reads_bid_and_ask_of_a_quote_file_beside_the_price()
    {
        var ticks = Read("timestamp,symbol,price,bid,ask,contributor\n1997-06-01T19:28,USDTHB,24.9,24.8,25,ANZM\n1997-06-01T19:31,USDTHB,24.92,,,CBAP\n");
        Assert.Equal((24.9, 24.8, 25.0), (ticks[0].Price, ticks[0].Bid!.Value, ticks[0].Ask!.Value));
        Assert.Null(ticks[1].Bid);
        Assert.Null(ticks[1].Ask);
    }

    [Theory]
    [InlineData("time,symbol,price\n", "line 1: the header must name the columns timestamp, symbol and price")]
    [InlineData("timestamp,symbol,price,bid,ask\n2024-01-02,AA,1,x,1\n", "line 2: bid 'x' is not a number")]
    [InlineData("timestamp,symbol,price\n2024-01-02,AA,abc\n", "line 2: price 'abc' is not a positive finite number")]
    [InlineData("timestamp,symbol,price\n2024-01-02,AA,1\n2024-01-03,AA,-1\n", "line 3: price '-1' is not a positive finite number")]
    [InlineData("timestamp,symbol,price\n1991.496154,DAX,1628.75\n", "line 2: timestamp '1991.496154' is a number but not whole Unix epoch milliseconds")]
    [InlineData("timestamp,symbol,price\n2024-01-03,AA\\,1\n", "line 2: symbol ends with a backslash")]
    [InlineData("", "the file is empty")]
    public void Bad_rows_fail_with_the_line_and_the_reason(string csv, string message)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Read(csv));
        Assert.Contains("test.csv: " + message, ex.Message.Replace("test.csv: test.csv", "test.csv"));
    }

    [Fact]
    public void A_row_ahead_of_the_clock_by_more_than_the_skew_fails_naming_the_line()
    {
        var now = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
        const string Csv = "timestamp,symbol,price\n2024-01-02,AA,1\n2026-12-01T12:04:00Z,AA,2\n2099-01-01,AA,3\n";
        var ex = Assert.Throws<InvalidDataException>(() => PriceCsvReader.Read(new StringReader(Csv), "test.csv", new TickSettings(), now));
        Assert.Equal("test.csv: line 4: timestamp 2099-01-01T00:00:00.000Z is 26,328 days ahead of the clock (2026-12-01T12:00:00.000Z), more than Ticks:MaxClockSkew (00:05:00)",
            ex.Message);
        // Within the skew, and with a wider one, the same rows are read.
        Assert.Equal(2, PriceCsvReader.Read(new StringReader(Csv.Replace("2099-01-01,AA,3\n", "")), "test.csv", new TickSettings(), now).Ticks.Count);
        Assert.Equal(3, PriceCsvReader.Read(new StringReader(Csv), "test.csv", new TickSettings { MaxClockSkew = TimeSpan.FromDays(30_000) }, now).Ticks.Count);
    }

    [Fact]
    public void Epoch_microseconds_in_a_csv_fail_naming_the_line_and_the_unit()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Read("timestamp,symbol,price\n1714564800123,AA,1\n1714564860123000,AA,2\n"));
        Assert.Equal("test.csv: line 3: timestamp 1714564860123000 is out of range for epoch milliseconds; it looks like epoch microseconds (2024-05-01T12:01:00.123Z): send milliseconds",
            ex.Message);
    }

    [Fact]
    public void Rows_earlier_than_their_symbols_previous_row_are_skipped_and_counted()
    {
        var data = PriceCsvReader.Read(new StringReader("timestamp,symbol,price\n2024-01-03,AA,1\n2024-01-04,BB,2\n2024-01-02,AA,3\n2024-01-03,AA,4\n2024-01-01,BB,5\n"), "test.csv");
        Assert.Equal([1.0, 2.0, 4.0], data.Ticks.Select(t => t.Price));
        Assert.Equal(2, data.LateRows);
        Assert.Equal(4, data.FirstLateLine);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => PriceCsvReader.Read("/nonexistent/prices.csv"));
        Assert.Contains("/nonexistent/prices.csv", ex.Message);
    }
}
