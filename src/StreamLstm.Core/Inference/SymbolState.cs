using StreamLstm.Features;
using StreamLstm.Model;
using StreamLstm.Sink;

namespace StreamLstm.Inference;

/// <summary>Everything kept per symbol on the per-tick path: its online features and its LSTM state.</summary>
public sealed class SymbolState(string symbol, ModelSettings settings, ServingSettings serving, ForecastScore? score = null)
{
    /// <summary>The symbol.</summary>
    public string Symbol { get; } = symbol;

    /// <summary>Online, per-symbol normalized features.</summary>
    public SymbolFeatures Features { get; } = new();

    /// <summary>The LSTM's (h, c), advanced once per tick; replaced when a model of another shape takes over.</summary>
    public RecurrentState Recurrent { get; internal set; } = new(settings.Layers, settings.HiddenSize);

    /// <summary>The symbol's most recent feature rows, to re-warm a new model's state.</summary>
    public FeatureWindow Window { get; } = new(settings.Window);

    /// <summary>Forecasts in flight, online interval calibration and the skill gate; replaced when the horizons change.</summary>
    public ForecastTracker Tracker { get; internal set; } = new(settings.Horizons, serving, score);

    /// <summary>
    /// How many earlier ticks of this symbol share the last tick's event time: points of repeats are kept apart by
    /// adding this many nanoseconds.
    /// </summary>
    public int Repeat { get; set; }

    /// <summary>Event time of the symbol's last accepted tick (late ticks are earlier than this); null before the first.</summary>
    public DateTime? LastTime { get; set; }

    /// <summary>Late ticks of this symbol skipped since its state was made.</summary>
    public long LateTicks { get; set; }

    /// <summary>Late ticks of this symbol skipped since its last accepted tick.</summary>
    public int LateInARow { get; set; }

    /// <summary>The partition the symbol's ticks arrive on (its state is dropped when the partition is revoked).</summary>
    public int Partition { get; set; } = -1;

    /// <summary>Marks the state as taken in the current batched step (see the pipeline's rounds).</summary>
    internal long Round { get; set; } = -1;

    /// <summary>
    /// For a state restored from a checkpoint: the offset in <see cref="Partition"/> through which the checkpoint covers
    /// the symbol's ticks (they are not applied again); -1 otherwise.
    /// </summary>
    public long Through { get; set; } = -1;

    /// <summary>What a lean output profile keeps for the symbol (skill sums, forecast thinning); null in the <c>full</c> profile.</summary>
    public SymbolOutput? Output { get; set; }

    /// <summary>Whether a tick changed the state since it was last checkpointed.</summary>
    public bool Changed { get; set; }
}
