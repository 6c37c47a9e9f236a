namespace StreamLstm.Model;

/// <summary>
/// The figures a champion/challenger decision was made on: the walk-forward backtest (horizon 1, the worker's per-tick
/// path) over the most recent held-out history.
/// </summary>
/// <param name="Points">Forecasts scored.</param>
/// <param name="RelMae">The challenger's MAE over the naive last-price forecast's MAE.</param>
/// <param name="ChampionRelMae">The same for the model serving at the time (1 when only naive served).</param>
/// <param name="Coverage80">Share of actuals inside the challenger's 80% interval.</param>
/// <param name="Champion">The version that was serving (<c>naive</c> at cold start).</param>
public sealed record HoldoutEvaluation(long Points, double RelMae, double ChampionRelMae, double Coverage80, string Champion);
