using StreamLstm.Ingest;

namespace StreamLstm.Sink;

/// <summary>
/// The source positions of a write window, acknowledged once every one of its requests is written (each request holds
/// points of most of the window's batches, so none of them is done before all are). Thread-safe.
/// </summary>
internal sealed class PendingAcknowledgement(IReadOnlyList<SourcePosition> positions, int requests, Action<IReadOnlyList<SourcePosition>> acknowledge)
{
    private int _left = requests;

    /// <summary>One of the requests is written; the last one acknowledges the positions.</summary>
    public void RequestWritten()
    {
        if (Interlocked.Decrement(ref _left) == 0) acknowledge(positions);
    }
}
