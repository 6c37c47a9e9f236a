namespace StreamLstm.Model;

/// <summary>The rules every model store backend follows: what a rollback returns to and what a prune may remove.</summary>
internal static class ModelStoreRules
{
    /// <summary>The version that was current before <paramref name="current"/>, per the switches; null when none.</summary>
    public static string? RollbackTarget(IReadOnlyList<(DateTime Utc, string Version, string Reason)> history, string current) =>
        history.Select(h => h.Version).Reverse().SkipWhile(v => v == current).FirstOrDefault();

    /// <summary>
    /// All but the newest <paramref name="keep"/> of <paramref name="versions"/> (oldest first), never
    /// <paramref name="current"/> nor the version a rollback would return to.
    /// </summary>
    public static IReadOnlyList<string> PruneCandidates(IReadOnlyList<string> versions, int keep, string? current,
        IReadOnlyList<(DateTime Utc, string Version, string Reason)> history)
    {
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), keep, "keep at least one version");
        var rollbackTarget = current is null ? null : RollbackTarget(history, current);
        return versions.Take(Math.Max(0, versions.Count - keep)).Where(id => id != current && id != rollbackTarget).ToList();
    }
}
