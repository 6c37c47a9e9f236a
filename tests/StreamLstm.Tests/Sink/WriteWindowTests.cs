using System.Text;
using StreamLstm.Ingest;
using StreamLstm.Sink;

namespace StreamLstm.Tests.Sink;

public class WriteWindowTests
{
    // Series a product run writes, in event-time order: prices, forecasts and errors of symbols that need escaping.
    private static readonly string[] Symbols = ["B", "A B", "A", "日経225", "A,B"];

    private static List<string> EventOrder(int ticks)
    {
        var lines = new List<string>();
        for (int t = 0; t < ticks; t++)
        {
            foreach (var symbol in Symbols)
            {
                var line = new StringBuilder();
                LineProtocol.Price(line, symbol, 100 + t, 1_000 + t);
                LineProtocol.Forecast(line, symbol, 1, t % 3 == 0 ? "naive" : "v1", 100 + t, 99, 101, 1_000 + t);
                if (t > 0) LineProtocol.ForecastError(line, symbol, 1, "v1", 0.5, 0.7, covered: true, 100, 99, 101, 1_000 + t);
                lines.AddRange(line.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
        }
        return lines;
    }

    private static PointBatch Batch(IEnumerable<string> lines, params long[] offsets)
    {
        var batch = new PointBatch();
        foreach (var line in lines)
        {
            batch.Lines.Append(line).Append('\n');
            batch.Points++;
        }
        batch.Positions.AddRange(offsets.Select(o => new SourcePosition(0, o)));
        return batch;
    }

    private static List<string[]> Bodies(List<WriteRequest> requests) =>
        requests.Select(r => Encoding.UTF8.GetString(r.Body.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();

    private static string Key(string line) => line[..LineProtocol.SeriesKeyLength(line)];

    [Fact]
    public void Every_point_is_kept_grouped_by_series_in_key_order_and_each_series_in_time_order()
    {
        var lines = EventOrder(20);
        var window = new WriteWindow();
        window.Add(Batch(lines.Take(100)));
        window.Add(Batch(lines.Skip(100)));

        var requests = window.Cut(40, _ => { });

        var bodies = Bodies(requests);
        var written = bodies.SelectMany(b => b).ToList();
        Assert.Equal(lines.Order(StringComparer.Ordinal), written.Order(StringComparer.Ordinal));
        for (int i = 1; i < written.Count; i++)
        {
            int byKey = string.CompareOrdinal(Key(written[i - 1]), Key(written[i]));
            Assert.True(byKey <= 0, $"line {i} ({written[i]}) comes after {written[i - 1]}");
            if (byKey == 0)
            {
                LineProtocol.TryTimestamp(written[i - 1], out var before);
                LineProtocol.TryTimestamp(written[i], out var after);
                Assert.True(before < after, $"line {i} ({written[i]}) is older than the one before it");
            }
        }
        // The "A B" and "A,B" symbols (escaped) are series of their own, not "A"'s.
        Assert.Equal(20, written.Count(l => l.StartsWith("price,symbol=A\\ B ", StringComparison.Ordinal)));
        Assert.Equal(20, written.Count(l => l.StartsWith("price,symbol=A ", StringComparison.Ordinal)));
        // At most 40 points a request, as even as possible: 295 points in 8 requests of 37 or 36.
        Assert.Equal(8, requests.Count);
        Assert.All(bodies, b => Assert.InRange(b.Length, 36, 37));
        Assert.Equal(lines.Count, requests.Sum(r => r.Points));
    }

    [Fact]
    public void A_series_whose_points_came_out_of_time_order_is_put_in_time_order()
    {
        var window = new WriteWindow();
        window.Add(Batch(["price,symbol=X value=3 30", "price,symbol=Y value=1 10", "price,symbol=X value=1 10", "price,symbol=X value=2 20"]));

        var written = Bodies(window.Cut(100, _ => { })).Single();

        Assert.Equal(["price,symbol=X value=1 10", "price,symbol=X value=2 20", "price,symbol=X value=3 30", "price,symbol=Y value=1 10"], written);
    }

    [Fact]
    public void The_same_points_in_other_batches_give_the_same_requests()
    {
        var lines = EventOrder(10);
        var one = new WriteWindow();
        one.Add(Batch(lines));
        var other = new WriteWindow();
        foreach (var part in lines.Chunk(7)) other.Add(Batch(part));

        Assert.Equal(Bodies(one.Cut(25, _ => { })), Bodies(other.Cut(25, _ => { })));
    }

    [Fact]
    public void The_positions_are_acknowledged_once_every_request_of_the_window_is_written_in_any_order()
    {
        var window = new WriteWindow();
        window.Add(Batch(EventOrder(4).Take(30), 0, 1, 2));
        window.Add(Batch([], 3));
        window.Add(Batch(EventOrder(4).Skip(30), 4));
        var acknowledged = new List<SourcePosition>();

        var requests = window.Cut(20, acknowledged.AddRange);
        Assert.Equal(3, requests.Count);
        requests[2].Acknowledgement.RequestWritten();
        requests[0].Acknowledgement.RequestWritten();
        Assert.Empty(acknowledged);
        requests[1].Acknowledgement.RequestWritten();

        Assert.Equal([0L, 1, 2, 3, 4], acknowledged.Select(p => p.Offset));
        Assert.True(window.IsEmpty);
    }

    [Fact]
    public void A_window_of_positions_only_makes_no_request_and_is_acknowledged_at_once()
    {
        var window = new WriteWindow();
        window.Add(Batch([], 7, 8));
        var acknowledged = new List<SourcePosition>();

        Assert.Empty(window.Cut(10, acknowledged.AddRange));
        Assert.Equal([7L, 8], acknowledged.Select(p => p.Offset));
    }

    [Fact]
    public void A_request_hands_out_each_line_and_halves_of_its_body()
    {
        var window = new WriteWindow();
        window.Add(Batch(["price,symbol=日経 value=1 1", "price,symbol=日経 value=2 2", "price,symbol=日経 value=3 3"]));
        using var request = window.Cut(10, _ => { }).Single();

        Assert.Equal("price,symbol=日経 value=2 2", request.Line(1));
        Assert.Equal("price,symbol=日経 value=2 2\nprice,symbol=日経 value=3 3\n", Encoding.UTF8.GetString(request.Lines(1, 3).Span));
    }
}
