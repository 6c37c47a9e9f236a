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

    [Theory]
    [InlineData("time,symbol,price\n", "line 1: the header must name the columns timestamp, symbol and price")]
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
