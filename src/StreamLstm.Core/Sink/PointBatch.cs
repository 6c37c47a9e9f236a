using System.Text;
using StreamLstm.Ingest;

namespace StreamLstm.Sink;

/// <summary>
/// Points in line protocol and the source positions of the ticks they cover: once the points are accepted, those
/// positions are done.
/// </summary>
public sealed class PointBatch
{
    /// <summary>Line protocol, one point per line.</summary>
    public StringBuilder Lines { get; } = new();

    /// <summary>Number of points in <see cref="Lines"/>.</summary>
    public int Points { get; set; }

    /// <summary>Positions of every tick the batch covers (including ticks that produced no point, such as late ones).</summary>
    public List<SourcePosition> Positions { get; } = [];

    /// <summary>The served forecasts of the batch, when a sink publishes them (<c>Kafka:ForecastTopic</c>); null otherwise.</summary>
    public List<ForecastRecord>? Forecasts { get; set; }

    /// <summary>Whether there is nothing to write and nothing to acknowledge.</summary>
    public bool IsEmpty => Points == 0 && Positions.Count == 0;
}
