namespace StreamLstm.Learning;

/// <summary>One retraining: why it ran, what the challenger and the champion scored on the held-out history, the decision.</summary>
/// <param name="Trigger">Why it ran: <c>schedule</c>, <c>drift: ...</c>, <c>first model</c>, <c>requested</c>.</param>
/// <param name="Champion">The version serving when it started (<c>naive</c> at cold start).</param>
/// <param name="Version">The version the challenger became when promoted; null when rejected (it is not kept).</param>
/// <param name="Ticks">History ticks it used (training and held-out parts).</param>
/// <param name="Points">Held-out forecasts scored.</param>
/// <param name="RelMae">The challenger's held-out rel_mae (horizon 1).</param>
/// <param name="ChampionRelMae">The champion's on the same points (null at cold start: naive counts as 1).</param>
/// <param name="Coverage80">The challenger's held-out coverage of the 80% interval.</param>
/// <param name="Decision">Promoted or not, and why.</param>
/// <param name="Epochs">Epochs trained.</param>
/// <param name="Duration">Training and evaluation, wall clock.</param>
/// <param name="ChampionRetired">Whether naive beat the champion by the margin and replaced it (the challenger lost too).</param>
public sealed record RetrainOutcome(string Trigger, string Champion, string? Version, int Ticks, long Points, double? RelMae,
    double? ChampionRelMae, double Coverage80, PromotionDecision Decision, int Epochs, TimeSpan Duration, bool ChampionRetired = false);
