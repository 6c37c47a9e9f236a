using System.Text;
using StreamLstm.Ingest;
using StreamLstm.Telemetry;

namespace StreamLstm.Sink;

/// <summary>
/// Appends points as line protocol to a file (when no InfluxDB is configured, e.g. in <c>demo</c>); a batch is
/// acknowledged once it is flushed to the file. The file can be loaded later with <c>influx write</c>.
/// </summary>
public sealed class LineFileSink : IPointSink, IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Action<IReadOnlyList<SourcePosition>> _acknowledge;
    private readonly PipelineCounters _counters;

    public LineFileSink(string path, Action<IReadOnlyList<SourcePosition>> acknowledge, PipelineCounters counters)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        _writer = new StreamWriter(path, append: true, new UTF8Encoding(false));
        _acknowledge = acknowledge;
        _counters = counters;
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    public async ValueTask WriteAsync(PointBatch batch, CancellationToken cancellationToken)
    {
        foreach (var chunk in batch.Lines.GetChunks()) await _writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        _counters.AddPointsWritten(batch.Points);
        _acknowledge(batch.Positions);
    }

    /// <inheritdoc />
    public Task CompleteAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _writer.Dispose();
}
