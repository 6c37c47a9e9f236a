using StreamLstm.Inference;
using StreamLstm.Model;
using StreamLstm.Ticks;

namespace StreamLstm.Pipeline;

/// <summary>
/// A model about to take over, being re-warmed off the forecast loop: <see cref="TickProcessor.PrepareSwap"/> copies
/// each symbol's recent history, <see cref="Replay"/> (any thread) runs the new model over it into scratch states, and
/// <see cref="TickProcessor.CompleteSwap"/> catches up with the ticks processed meanwhile and hands over.
/// </summary>
public sealed class SwapPreparation
{
    internal SwapPreparation(ModelVersion model, List<Entry> entries)
    {
        Model = model;
        Forecaster = new BatchForecaster(model);
        Entries = entries;
    }

    /// <summary>The model taking over.</summary>
    public ModelVersion Model { get; }

    internal BatchForecaster Forecaster { get; }

    internal List<Entry> Entries { get; }

    /// <summary>Whether <see cref="Replay"/> has run.</summary>
    public bool Replayed { get; private set; }

    /// <summary>Runs the new model over every symbol's copied history (touches nothing the forecast loop uses).</summary>
    public void Replay()
    {
        TickProcessor.Replay(Entries.Select(e => (e.Scratch, e.Past)).ToList(), Forecaster);
        Replayed = true;
    }

    /// <summary>One symbol: its scratch state for the new model, the ticks copied, and how many it had accepted then.</summary>
    internal sealed record Entry(string Symbol, SymbolState Scratch, IReadOnlyList<Tick> Past, long Accepted);
}
