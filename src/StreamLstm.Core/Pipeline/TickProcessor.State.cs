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
            Progress(partition) = PartitionProgress.None;
            _historyToOpen.Remove(partition);
            _checkpointAll.Remove(partition);
        }
        if (_history is null) return;
        foreach (var partition in partitions) _history.Close(partition);
    }

    // Partitions whose last checkpoint could not be written: the next one takes every symbol of them, changed or not.
    private readonly HashSet<int> _checkpointAll = [];
    /// <summary>A partition's progress: the newest offset processed (-1: none since it was assigned), its epoch, and the offset its last checkpoint covered (-1: none).</summary>
    private readonly record struct PartitionProgress(long Processed, int Epoch, long Checkpointed)
    {
        public static readonly PartitionProgress None = new(-1, 0, -1);
    }

    /// <summary>The progress of <paramref name="partition"/>, growing the array as partitions appear.</summary>
    private ref PartitionProgress Progress(int partition)
    {
        if (partition >= _progress.Length)
        {
            int old = _progress.Length;
            Array.Resize(ref _progress, Math.Max(partition + 1, old * 2));
            Array.Fill(_progress, PartitionProgress.None, old, _progress.Length - old);
        }
        return ref _progress[partition];
    }

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
        for (int partition = 0; partition < _progress.Length; partition++)
        {
            var progress = _progress[partition];
            if (progress.Processed >= 0 && (progress.Checkpointed < progress.Processed || _checkpointAll.Contains(partition))) records[partition] = [];
        }
        if (records.Count == 0) return null;
        var encoder = new SymbolStateCodec.Encoder();
        foreach (var state in _symbols.Values)
        {
            if (!records.TryGetValue(state.Partition, out var list) || !(state.Changed || _checkpointAll.Contains(state.Partition))) continue;
            list.Add(new(state.Symbol, encoder.Encode(state, _model.Id, _progress[state.Partition].Processed)));
            state.Changed = false;
        }
        var partitions = new List<PartitionCheckpoint>(records.Count);
        foreach (var (partition, list) in records)
        {
            ref var progress = ref _progress[partition];
            partitions.Add(new PartitionCheckpoint(partition, progress.Epoch, progress.Processed, list));
            progress = progress with { Checkpointed = progress.Processed };
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
            if (partition < _progress.Length && _progress[partition].Processed >= 0) _checkpointAll.Add(partition);
    }
}
