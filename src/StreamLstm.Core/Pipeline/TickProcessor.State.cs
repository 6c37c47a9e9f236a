using StreamLstm.Inference;
using StreamLstm.State;

namespace StreamLstm.Pipeline;

/// <summary>
/// Partition ownership: checkpoints of the per-symbol state, restores from them (see <see cref="SymbolStateCodec"/>),
/// and forgetting the symbols of partitions revoked or lost.
/// </summary>
public sealed partial class TickProcessor
{
    /// <summary>Drops the state of symbols whose ticks came from <paramref name="partitions"/> (revoked or lost).</summary>
    public void Forget(IReadOnlyCollection<int> partitions)
    {
        foreach (var (symbol, state) in _symbols.ToList())
            if (partitions.Contains(state.Partition)) _symbols.Remove(symbol);
        foreach (var partition in partitions)
        {
            _processed.Remove(partition);
            _historyToOpen.Remove(partition);
            _checkpointed.Remove(partition);
            _checkpointAll.Remove(partition);
        }
        if (_history is null) return;
        foreach (var partition in partitions) _history.Close(partition);
    }

    // Partitions whose last checkpoint could not be written: the next one takes every symbol of them, changed or not.
    private readonly HashSet<int> _checkpointAll = [];
    // Per partition, the offset its last checkpoint covered.
    private readonly Dictionary<int, long> _checkpointed = [];

    /// <summary>
    /// Takes the state of <paramref name="partition"/>'s symbols from their checkpoint records, before any tick of the
    /// partition's new ownership is processed. A restored symbol forecasts its next tick exactly as the worker that wrote
    /// the checkpoint would have; its ticks through the checkpoint's offset are not applied again. A record that cannot
    /// be read, or that a model other than the one serving advanced, is left out with the reason: its symbol is re-warmed
    /// from the history at its next tick, as without checkpoints.
    /// </summary>
    public RestoreOutcome Restore(int partition, IReadOnlyList<KeyValuePair<string, byte[]>> records)
    {
        int restored = 0;
        var refused = new List<(string Symbol, string Problem)>();
        foreach (var (symbol, value) in records)
        {
            if (!SymbolStateCodec.TryDecode(value, symbol, _model.Settings, _serving, out var checkpointed, out var problem))
            {
                refused.Add((symbol, problem));
                continue;
            }
            if (checkpointed.Model != _model.Id)
            {
                refused.Add((symbol, $"model {checkpointed.Model} advanced it and {_model.Id} serves now"));
                continue;
            }
            var state = checkpointed.State;
            state.Partition = partition;
            state.Tracker.Score = LiveScore;
            _symbols[symbol] = state;
            restored++;
        }
        if (restored > 0 && _history is not null && !_history.IsOpen(partition)) _historyToOpen.Add(partition);
        return new RestoreOutcome(partition, restored, refused);
    }

    /// <summary>
    /// The state of every symbol changed since the last checkpoint (every symbol of a partition whose last checkpoint
    /// failed), per partition with the newest offset processed; null when nothing was processed since.
    /// </summary>
    public StateCheckpoint? Checkpoint()
    {
        var records = new Dictionary<int, List<KeyValuePair<string, byte[]>>>();
        foreach (var (partition, processed) in _processed)
            if (!_checkpointed.TryGetValue(partition, out long through) || through < processed.Offset || _checkpointAll.Contains(partition))
                records[partition] = [];
        if (records.Count == 0) return null;
        var encoder = new SymbolStateCodec.Encoder();
        foreach (var state in _symbols.Values)
        {
            if (!records.TryGetValue(state.Partition, out var list) || !(state.Changed || _checkpointAll.Contains(state.Partition))) continue;
            list.Add(new(state.Symbol, encoder.Encode(state, _model.Id, _processed[state.Partition].Offset)));
            state.Changed = false;
        }
        var partitions = new List<PartitionCheckpoint>(records.Count);
        foreach (var (partition, list) in records)
        {
            var processed = _processed[partition];
            partitions.Add(new PartitionCheckpoint(partition, processed.Epoch, processed.Offset, list));
            _checkpointed[partition] = processed.Offset;
            _checkpointAll.Remove(partition);
        }
        return new StateCheckpoint(partitions);
    }

    /// <summary>Symbols with state whose ticks come from <paramref name="partition"/>.</summary>
    public int SymbolsIn(int partition) => _symbols.Values.Count(s => s.Partition == partition);

    /// <summary>The checkpoint of <paramref name="partitions"/> was not written: the next one takes all their symbols.</summary>
    public void CheckpointFailed(IEnumerable<int> partitions)
    {
        foreach (var partition in partitions)
            if (_processed.ContainsKey(partition)) _checkpointAll.Add(partition);
    }
}
