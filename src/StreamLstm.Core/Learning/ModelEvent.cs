namespace StreamLstm.Learning;

/// <summary>
/// A decision about the serving model, as written to InfluxDB (<c>model_event</c>): <see cref="Action"/> is
/// <c>promoted</c>, <c>rejected</c> or <c>rollback</c>; <see cref="Model"/> the version it concerns (<c>challenger</c>
/// for a rejected challenger, which is not kept); the figures are those the decision was made on (NaN when unknown);
/// <see cref="Source"/> who made it (<see cref="StreamLstm.Model.ModelSwitchSource"/>: a retraining, an operator, or
/// <c>train</c>).
/// </summary>
public sealed record ModelEvent(string Action, string Model, double RelMae, double ChampionRelMae, double Coverage80, DateTime Time, string Source)
{
    /// <summary>The <c>model</c> tag of a rejected challenger.</summary>
    public const string Challenger = "challenger";
}
