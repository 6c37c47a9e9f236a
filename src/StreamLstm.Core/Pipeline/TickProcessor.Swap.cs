using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Ticks;

namespace StreamLstm.Pipeline;

/// <summary>Model swaps: a new model re-warmed for every symbol beside the stream and handed over between ticks.</summary>
public sealed partial class TickProcessor
{
    /// <summary>
    /// Hands serving over to <paramref name="model"/> between ticks, every symbol re-warmed for it first. With a
    /// <see cref="TickHistory"/>, the new model is replayed over each symbol's last ticks (at most the re-warm length)
    /// through the ordinary per-tick path, nothing written: the symbol takes the recurrent state, interval calibration and
    /// rolling skill of that replay, so the skill gate judges the new model on its own record, not the old one's; its
    /// forecasts in flight are still scored. Without history (or for a symbol with none) the recurrent state is rebuilt
    /// from the symbol's feature window (see <see cref="BatchForecaster.Rewarm"/>). Returns the model that served before;
    /// the caller disposes it.
    /// </summary>
    public ModelVersion SwapModel(ModelVersion model)
    {
        var preparation = PrepareSwap(model);
        preparation.Replay();
        return CompleteSwap(preparation);
    }

    /// <summary>
    /// First step of a swap, on the forecast loop: notes each symbol and how many ticks its history had been appended
    /// (cheap). The expensive part, <see cref="SwapPreparation.Replay"/> (copying the histories and replaying them), can
    /// then run on another thread while this processor keeps forecasting with the current model.
    /// </summary>
    public SwapPreparation PrepareSwap(ModelVersion model)
    {
        var entries = new List<SwapPreparation.Entry>();
        if (_history is not null)
        {
            foreach (var state in _symbols.Values)
            {
                long appended = _history.Appended(state.Symbol);
                if (appended > 0) entries.Add(new(state.Symbol, new SymbolState(state.Symbol, model.Settings, _serving), appended));
            }
        }
        return new SwapPreparation(model, entries, _history, _rewarmTicks);
    }

    /// <summary>
    /// Last step of a swap, on the forecast loop, between ticks: replays on the scratch states the ticks each symbol
    /// accepted since <see cref="PrepareSwap"/>, hands the replayed recurrent state, interval calibration and skill over
    /// to the live symbols (forecasts in flight keep being scored), re-warms symbols without history from their feature
    /// window, and switches the model. Returns the model that served before; the caller disposes it.
    /// </summary>
    public ModelVersion CompleteSwap(SwapPreparation preparation)
    {
        if (!preparation.Replayed) throw new InvalidOperationException("the swap's replay has not run");
        var model = preparation.Model;
        var catchUp = new List<(SymbolState, IReadOnlyList<Tick>)>();
        var replayed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in preparation.Entries)
        {
            if (!_symbols.ContainsKey(entry.Symbol) || _history is null) continue;
            replayed.Add(entry.Symbol);
            long since = _history.Appended(entry.Symbol) - entry.Appended;
            if (since > 0) catchUp.Add((entry.Scratch, _history.Recent(entry.Symbol, (int)Math.Min(since, int.MaxValue))));
        }
        Replay(catchUp, preparation.Forecaster);
        foreach (var entry in preparation.Entries)
        {
            if (!_symbols.TryGetValue(entry.Symbol, out var state)) continue;
            state.Changed = true;
            state.Recurrent = entry.Scratch.Recurrent;
            if (state.Tracker.Horizons != model.Settings.Horizons) state.Tracker = new ForecastTracker(model.Settings.Horizons, _serving, LiveScore);
            state.Tracker.AdoptSkill(entry.Scratch.Tracker);
        }
        var rewarmed = _symbols.Values.Where(s => !replayed.Contains(s.Symbol)).ToList();
        preparation.Forecaster.Rewarm(rewarmed, _serving, LiveScore);
        // Every state now belongs to the new model: the next checkpoint takes them all.
        foreach (var state in rewarmed) state.Changed = true;
        _drift?.Reset();
        var previous = _model;
        _model = model;
        _forecaster = preparation.Forecaster;
        return previous;
    }

    /// <summary>
    /// Steps every state over its past ticks with <paramref name="forecaster"/>, all states together, aligned on their
    /// last tick; forecasts are made and resolved as usual but nothing is written.
    /// </summary>
    internal static void Replay(List<(SymbolState State, IReadOnlyList<Tick> Past)> replays, BatchForecaster forecaster)
    {
        if (replays.Count == 0) return;
        int longest = replays.Max(w => w.Past.Count);
        var states = new List<SymbolState>(replays.Count);
        var stepTicks = new List<Tick>(replays.Count);
        var forecasts = new Forecast?[replays.Count];
        for (int round = 0; round < longest; round++)
        {
            states.Clear();
            stepTicks.Clear();
            foreach (var (state, past) in replays)
            {
                int i = round - (longest - past.Count);
                if (i < 0) continue;
                states.Add(state);
                stepTicks.Add(past[i]);
            }
            forecaster.Advance(states, stepTicks, forecasts);
        }
    }
}
