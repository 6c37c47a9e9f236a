namespace StreamLstm.State;

/// <summary>What <c>TickProcessor.Restore</c> took from a partition's checkpoint records.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Restored">Symbols restored exactly.</param>
/// <param name="Refused">Symbols whose record was left out, with the reason (re-warmed from the history instead).</param>
public sealed record RestoreOutcome(int Partition, int Restored, IReadOnlyList<(string Symbol, string Problem)> Refused);
