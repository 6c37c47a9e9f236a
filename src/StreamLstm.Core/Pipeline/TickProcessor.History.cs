using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Ticks;

namespace StreamLstm.Pipeline;

/// <summary>
/// The tick history on the per-tick path: every accepted tick appended, a partition's file opened (rewound) at its
/// first tick, and symbols without state re-warmed from it. A disk that refuses costs the history, never the forecasts.
/// </summary>
public sealed partial class TickProcessor
{
    private SymbolState NewStateFromHistory(in IngestedTick ingested, TickHistory history, ref List<(SymbolState State, IReadOnlyList<Tick> Past)>? warming)
    {
        int partition = ingested.Position.Partition;
        OpenHistory(history, ingested.Position);
        // No running score while re-warming: the replayed forecasts were served before the restart, not now.
        var state = new SymbolState(ingested.Tick.Symbol, _model.Settings, _serving) { Partition = partition };
        var past = history.Recent(state.Symbol, _rewarmTicks);
        if (past.Count == 0) state.Tracker.Score = LiveScore;
        else (warming ??= []).Add((state, past));
        return state;
    }

    /// <summary>
    /// Opens the history of <paramref name="first"/>'s partition, unless open, rewound to that first offset read: ticks
    /// from there on were not acknowledged (or not checkpointed) before the restart and are about to be read again.
    /// </summary>
    private void OpenHistory(TickHistory history, SourcePosition first)
    {
        if (history.IsOpen(first.Partition)) return;
        try
        {
            history.Open(first.Partition, fromOffset: first.Offset);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _counters.AddHistoryFailure(ex.Message);
        }
    }

    /// <summary>
    /// Appends to the history; a disk that refuses (full, read-only) costs the history, never the forecasts: the failure
    /// is counted and the write retried with the next flush.
    /// </summary>
    private void KeepInHistory(TickHistory history, in IngestedTick ingested)
    {
        try
        {
            history.Append(ingested.Position.Partition, ingested.Position.Offset, ingested.Tick);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _counters.AddHistoryFailure(ex.Message);
        }
    }

    private void FlushHistory(TickHistory history)
    {
        try
        {
            history.Flush();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _counters.AddHistoryFailure(ex.Message);
        }
    }
}
