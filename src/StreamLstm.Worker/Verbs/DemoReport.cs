using System.Globalization;
using StreamLstm.Evaluation;
using StreamLstm.Inference;
using StreamLstm.Learning;

namespace StreamLstm.Worker.Verbs;

/// <summary>The demo's lines about decisions and what was served.</summary>
internal static class DemoReport
{
    /// <summary>A retrain's decision: why it ran, what it decided, the figures and the reason.</summary>
    public static string Decision(RetrainOutcome outcome)
    {
        var (what, action, model) = outcome switch
        {
            { Version: { } version } => ($"promoted {version}", "promoted", version),
            { ChampionRetired: true } => ($"rejected the challenger and retired {outcome.Champion}, naive serves", "rejected", ModelEvent.Challenger),
            _ => ($"rejected the challenger, {outcome.Champion} keeps serving", "rejected", ModelEvent.Challenger),
        };
        return $"retrain ({outcome.Trigger}) on {outcome.Ticks:N0} ticks of history, {outcome.Epochs} epochs, {outcome.Duration.TotalSeconds:F1} s: {what} " +
            $"(model_event action={action} model={model}); held-out rel_mae {Format(outcome.RelMae)} vs champion {outcome.Champion} " +
            $"{Format(outcome.ChampionRelMae ?? 1.0)}, coverage80 {outcome.Coverage80:F3} on {outcome.Points:N0} points: {outcome.Decision.Reason}";
    }

    /// <summary>How many retrains ran and what each decided.</summary>
    public static string Retrains(IReadOnlyList<RetrainOutcome> outcomes) => outcomes.Count switch
    {
        0 => "no retrain",
        1 => $"1 retrain ({Short(outcomes[0])})",
        _ => $"{outcomes.Count} retrains ({string.Join(", ", outcomes.Select(Short))})",
    };

    private static string Short(RetrainOutcome outcome) => outcome.Version is { } version ? $"promoted {version}" : "rejected";

    /// <summary>
    /// Who served the forecasts (every horizon), from the counts before the rest of the sample was replayed
    /// (<paramref name="before"/>) and at the end: each model's and naive's count and share of all.
    /// </summary>
    public static string Served(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> atEnd, double firstPart)
    {
        long total = atEnd.Values.Sum();
        if (total == 0) return "served: no forecasts";
        var after = atEnd.Select(e => (Model: e.Key, N: e.Value - before.GetValueOrDefault(e.Key))).Where(e => e.N > 0)
            .OrderBy(e => e.Model == ForecastTracker.NaiveTag).ToList();
        var model = after.Select(e => e.Model).FirstOrDefault(m => m != ForecastTracker.NaiveTag);
        var parts = before.Where(e => e.Value > 0)
            .Select(e => $"{e.Key} {Share(e.Value, total)} over the first {Percent(firstPart)}{(e.Key == ForecastTracker.NaiveTag ? ", at cold start (no model yet)" : "")}")
            .Concat(after.Select(e => $"{e.Model} {Share(e.N, total)} over the rest" + (e.Model != ForecastTracker.NaiveTag ? ""
                : model is not null ? $", where the skill gate preferred the last price to {model}" : " (no model was promoted)")));
        return $"served: {total:N0} forecasts (every horizon): {string.Join("; ", parts)}";
    }

    private static string Share(long n, long total) => $"{n:N0} ({Percent((double)n / total)})";

    /// <summary>A share as a whole percentage: <c>70%</c>.</summary>
    public static string Percent(double share) => (share * 100).ToString("F0", CultureInfo.InvariantCulture) + "%";

    /// <summary>
    /// The served one-tick-ahead forecasts for the part no model trained on (<paramref name="served"/>), against the
    /// naive and GARCH(1,1) bands of <paramref name="check"/> on the same points.
    /// </summary>
    public static string LastPart(ScoreSums served, BacktestResult check, double firstPart)
    {
        var same = served.N == check.Naive.N ? "" : $" (the baselines scored {check.Naive.N:N0})";
        return $"the last {Percent(1 - firstPart)} of each symbol (no model trained on it), h=1, {served.N:N0} forecasts{same}: served interval score " +
            $"{served.IntervalScore:G4}, naive's {check.Naive.IntervalScore:G4} (ratio {Format(Ratio(served.IntervalScore, check.Naive.IntervalScore))}), " +
            $"GARCH(1,1)'s {check.Garch.IntervalScore:G4} (ratio {Format(Ratio(served.IntervalScore, check.Garch.IntervalScore))}); " +
            $"served rel_mae {Format(served.RelMae)}, coverage80 {served.Coverage80:F3}";
    }

    /// <summary>The walk-forward check of the final model on the same points, and its charts.</summary>
    public static string Check(BacktestResult check, int charts, string directory) =>
        $"walk-forward check of {check.Model} on the same points from each symbol's first tick (as backtest runs it): interval score " +
        $"{check.Overall.IntervalScore:G4} (ratio to naive {Format(check.IntervalScoreVsNaive)}, to GARCH {Format(check.IntervalScoreVsGarch)}), " +
        $"coverage80 {check.Overall.Coverage80:F3}; {charts} charts in {directory}";

    private static double? Ratio(double score, double baseline) => baseline > 0 && double.IsFinite(score) ? score / baseline : null;

    public static string Format(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("F4", CultureInfo.InvariantCulture) : "n/a";
}

/// <summary>
/// The sums behind a <see cref="ForecastScore"/> at one moment, so that the forecasts scored between two moments can be
/// scored on their own.
/// </summary>
internal readonly record struct ScoreSums(long N, double AbsError, double NaiveAbsError, double Inside, double IntervalScoreSum)
{
    public static ScoreSums Of(ForecastScore? score) => score is null || score.N == 0 ? default
        : new(score.N, score.Mae * score.N, score.NaiveMae * score.N, score.Coverage80 * score.N, score.IntervalScore * score.N);

    /// <summary>The forecasts scored since <paramref name="earlier"/>.</summary>
    public ScoreSums Since(ScoreSums earlier) =>
        new(N - earlier.N, AbsError - earlier.AbsError, NaiveAbsError - earlier.NaiveAbsError, Inside - earlier.Inside, IntervalScoreSum - earlier.IntervalScoreSum);

    public double? RelMae => N == 0 || NaiveAbsError <= 0 ? null : AbsError / NaiveAbsError;

    public double Coverage80 => N == 0 ? double.NaN : Inside / N;

    public double IntervalScore => N == 0 ? double.NaN : IntervalScoreSum / N;
}
