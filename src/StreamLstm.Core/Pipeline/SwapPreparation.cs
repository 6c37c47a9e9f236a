using StreamLstm.Inference;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Ticks;

namespace StreamLstm.Pipeline;

/// <summary>
/// A model about to take over, being re-warmed off the forecast loop: <see cref="TickProcessor.PrepareSwap"/> notes
/// each symbol and how many ticks its history had; <see cref="Replay"/> (any thread) copies each symbol's recent
/// history up to that point and runs the new model over it into scratch states; <see cref="TickProcessor.CompleteSwap"/>
/// catches up with the ticks appended meanwhile and hands over.
/// </summary>
public sealed class SwapPreparation
{
    private readonly TickHistory? _history;
    private readonly int _rewarmTicks;

    internal SwapPreparation(ModelVersion model, List<Entry> entries, TickHistory? history, int rewarmTicks)
    {
        Model = model;
        Forecaster = new BatchForecaster(model);
        Entries = entries;
        _history = history;
        _rewarmTicks = rewarmTicks;
    }

    /// <summary>The model taking over.</summary>
    public ModelVersion Model { get; }

    internal BatchForecaster Forecaster { get; }

    internal List<Entry> Entries { get; }

    /// <summary>Whether <see cref="Replay"/> has run.</summary>
    public bool Replayed { get; private set; }

    /// <summary>Runs the new model over every symbol's recent history (touches nothing the forecast loop uses).</summary>
    public void Replay()
    {
        var replays = new List<(SymbolState, IReadOnlyList<Tick>)>(Entries.Count);
        if (_history is not null)
        {
            foreach (var entry in Entries)
            {
                // Ticks appended since PrepareSwap belong to the catch-up: they are cut off the end of the copy.
                var past = _history.Recent(entry.Symbol, _rewarmTicks + 4096, out long appended);
                int later = (int)Math.Clamp(appended - entry.Appended, 0, past.Count);
                int take = Math.Min(_rewarmTicks, past.Count - later);
                if (take > 0) replays.Add((entry.Scratch, past.Skip(past.Count - later - take).Take(take).ToList()));
            }
        }
        TickProcessor.Replay(replays, Forecaster);
        Replayed = true;
    }

    /// <summary>One symbol: its scratch state for the new model, and how many ticks its history had been appended.</summary>
    internal sealed record Entry(string Symbol, SymbolState Scratch, long Appended);
}
