using System.Buffers;
using System.Text;
using StreamLstm.Ingest;
using StreamLstm.Sink;

namespace StreamLstm.Tests.Sink;

public class ForecastSinkTests
{
    [Fact]
    public void A_forecast_message_is_the_contracts_json_with_the_points_exact_time()
    {
        var time = new DateTime(2024, 5, 1, 12, 0, 0, 123, DateTimeKind.Utc);
        long ns = LineProtocol.Nanoseconds(time, repeat: 2);
        var json = Encoding.UTF8.GetString(KafkaForecastSink.Serialize(new ForecastRecord("EURUSD", time, ns, 1, 1.0713, 1.0702, 1.0724, "v3"), new ArrayBufferWriter<byte>()));
        Assert.Equal("""{"symbol":"EURUSD","ts":"2024-05-01T12:00:00.123Z","ts_ns":1714564800123000002,"horizon":1,"value":1.0713,"lower":1.0702,"upper":1.0724,"model":"v3"}""", json);
    }

    [Fact]
    public async Task A_position_is_acknowledged_once_every_sink_has_acknowledged_it()
    {
        var acknowledged = new List<SourcePosition>();
        var held = new HeldSink();
        var sink = new CompositeSink([ack => new ImmediateSink(ack), held.Make], acknowledged.AddRange);
        var batch = new PointBatch();
        batch.Positions.AddRange([new SourcePosition(0, 1), new SourcePosition(0, 2)]);

        await sink.WriteAsync(batch, CancellationToken.None);
        Assert.Empty(acknowledged); // the first sink took them, the second has not yet
        held.Release(batch.Positions.Take(1).ToList());
        Assert.Equal([new SourcePosition(0, 1)], acknowledged);
        held.Release(batch.Positions.Skip(1).ToList());
        Assert.Equal([new SourcePosition(0, 1), new SourcePosition(0, 2)], acknowledged);
    }

    private sealed class ImmediateSink(Action<IReadOnlyList<SourcePosition>> acknowledge) : IPointSink
    {
        public ValueTask WriteAsync(PointBatch batch, CancellationToken cancellationToken)
        {
            acknowledge(batch.Positions.ToList());
            return ValueTask.CompletedTask;
        }

        public Task CompleteAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Acknowledges only when the test says so.</summary>
    private sealed class HeldSink : IPointSink
    {
        private Action<IReadOnlyList<SourcePosition>> _acknowledge = _ => { };

        public IPointSink Make(Action<IReadOnlyList<SourcePosition>> acknowledge)
        {
            _acknowledge = acknowledge;
            return this;
        }

        public void Release(IReadOnlyList<SourcePosition> positions) => _acknowledge(positions);

        public ValueTask WriteAsync(PointBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public Task CompleteAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
