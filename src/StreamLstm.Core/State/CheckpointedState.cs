using StreamLstm.Inference;

namespace StreamLstm.State;

/// <summary>A symbol's state read from its checkpoint.</summary>
/// <param name="State">The state, its <see cref="SymbolState.Through"/> set.</param>
/// <param name="Model">The version the state was advanced with.</param>
/// <param name="Through">The offset of its partition through which the checkpoint covers the symbol's ticks.</param>
public readonly record struct CheckpointedState(SymbolState State, string Model, long Through);
