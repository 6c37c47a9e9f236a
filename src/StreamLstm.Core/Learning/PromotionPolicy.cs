namespace StreamLstm.Learning;

/// <summary>
/// Decides whether a challenger replaces the champion, from both models' walk-forward figures on the same held-out
/// history: its rel_mae must be below the champion's and below naive's (1) by the margin, and the coverage of its 80%
/// interval within range. A champion that is only naive (cold start) counts as rel_mae 1.
/// </summary>
public sealed class PromotionPolicy(double margin, double coverageMin, double coverageMax)
{
    /// <summary>The policy of <paramref name="settings"/>.</summary>
    public static PromotionPolicy From(LearningSettings settings) => new(settings.PromotionMargin, settings.CoverageMin, settings.CoverageMax);

    /// <summary>Decides on a challenger's held-out <paramref name="relMae"/> and <paramref name="coverage80"/> against the champion's rel_mae.</summary>
    public PromotionDecision Decide(double? relMae, double coverage80, double? championRelMae)
    {
        double champion = Math.Min(championRelMae ?? 1.0, 1.0);
        double bar = champion * (1 - margin);
        if (relMae is not { } r || !double.IsFinite(r))
            return new(false, "no held-out rel_mae (nothing scored, or naive never erred)");
        if (r >= bar)
            return new(false, $"rel_mae {r:F4} is not below {bar:F4} ({(championRelMae is { } c && c < 1 ? $"champion {c:F4}" : "naive 1")} less the margin {margin:P1})");
        if (!(coverage80 >= coverageMin && coverage80 <= coverageMax))
            return new(false, $"coverage80 {coverage80:F3} is outside {coverageMin:F2}-{coverageMax:F2}");
        return new(true, $"rel_mae {r:F4} beats {bar:F4} and coverage80 {coverage80:F3} is within {coverageMin:F2}-{coverageMax:F2}");
    }

    /// <summary>
    /// Whether naive itself (rel_mae 1) should replace a champion whose held-out rel_mae is <paramref name="championRelMae"/>:
    /// when 1 is below it by the margin, the model is worse than the last price and is retired.
    /// </summary>
    public PromotionDecision DecideNaive(double? championRelMae)
    {
        if (championRelMae is not { } c || !double.IsFinite(c)) return new(false, "the champion has no held-out rel_mae");
        double bar = c * (1 - margin);
        return 1 < bar
            ? new(true, $"naive (1) beats the champion's rel_mae {c:F4} less the margin {margin:P1} ({bar:F4})")
            : new(false, $"naive (1) does not beat the champion's rel_mae {c:F4} less the margin {margin:P1} ({bar:F4})");
    }
}
