using StreamLstm.Ingest;

namespace StreamLstm.Sink;

/// <summary>
/// Several sinks as one (InfluxDB and the forecast topic): every batch goes to each, and a tick's position is
/// acknowledged once every sink has acknowledged it, so no offset is stored before all its output is out.
/// </summary>
public sealed class CompositeSink : IPointSink
{
    private readonly IPointSink[] _sinks;
    private readonly Action<IReadOnlyList<SourcePosition>> _acknowledge;
    private readonly Dictionary<SourcePosition, int> _acknowledged = [];
    private readonly object _gate = new();

    /// <param name="sinks">Makes each sink from the acknowledge callback it is to call.</param>
    /// <param name="acknowledge">Called with the positions every sink has acknowledged.</param>
    public CompositeSink(IReadOnlyList<Func<Action<IReadOnlyList<SourcePosition>>, IPointSink>> sinks, Action<IReadOnlyList<SourcePosition>> acknowledge)
    {
        _acknowledge = acknowledge;
        _sinks = sinks.Select(make => make(Acknowledged)).ToArray();
    }

    /// <summary>The sinks, in the order given.</summary>
    public IReadOnlyList<IPointSink> Sinks => _sinks;

    public async ValueTask WriteAsync(PointBatch batch, CancellationToken cancellationToken)
    {
        foreach (var sink in _sinks) await sink.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        foreach (var sink in _sinks) await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Acknowledged(IReadOnlyList<SourcePosition> positions)
    {
        List<SourcePosition>? done = null;
        lock (_gate)
        {
            foreach (var position in positions)
            {
                int count = _acknowledged.GetValueOrDefault(position) + 1;
                if (count < _sinks.Length)
                {
                    _acknowledged[position] = count;
                    continue;
                }
                _acknowledged.Remove(position);
                (done ??= []).Add(position);
            }
        }
        if (done is not null) _acknowledge(done);
    }
}
