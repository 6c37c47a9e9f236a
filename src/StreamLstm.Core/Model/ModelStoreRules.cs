namespace StreamLstm.Model;

/// <summary>The rules every model store backend follows: what a rollback returns to and what a prune may remove.</summary>
internal static class ModelStoreRules
{
    /// <summary>Refuses to switch to <paramref name="id"/> unless it loads completely (<see cref="NaiveModel.Id"/> needs nothing loaded).</summary>
    public static void CheckLoads(IModelStore store, string id)
    {
        // "naive" is no version: the worker serves the last price (see NaiveModel) until a version is made current.
        if (id == NaiveModel.Id) return;
        using (store.Load(id)) { }
    }

    /// <summary>Refuses a switch recorded with a source that is none of <see cref="ModelSwitchSource"/>'s.</summary>
    public static void CheckSource(string source)
    {
        if (!ModelSwitchSource.IsKnown(source))
            throw new ArgumentOutOfRangeException(nameof(source), source, $"the source of a switch is {ModelSwitchSource.Retrain}, {ModelSwitchSource.Operator} or {ModelSwitchSource.Train}");
    }

    /// <summary>Refuses a switch to <paramref name="id"/> when <paramref name="current"/> is not the version the caller expected.</summary>
    public static void CheckExpected(string location, string id, string? current, string? expected)
    {
        if (current != expected)
            throw new ModelStoreConflictException(
                $"{location}: {id} was not made current because the current version is {current ?? "none"}, not {expected ?? "none"} (switched meanwhile by another writer)", current);
    }

    /// <summary>The version that was current before <paramref name="current"/>, per the switches; null when none.</summary>
    public static string? RollbackTarget(IReadOnlyList<ModelSwitch> history, string current) =>
        history.Select(h => h.Version).Reverse().SkipWhile(v => v == current).FirstOrDefault();

    /// <summary>
    /// All but the newest <paramref name="keep"/> of <paramref name="versions"/> (oldest first), never
    /// <paramref name="current"/> nor the version a rollback would return to.
    /// </summary>
    public static IReadOnlyList<string> PruneCandidates(IReadOnlyList<string> versions, int keep, string? current,
        IReadOnlyList<ModelSwitch> history)
    {
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), keep, "keep at least one version");
        var rollbackTarget = current is null ? null : RollbackTarget(history, current);
        return versions.Take(Math.Max(0, versions.Count - keep)).Where(id => id != current && id != rollbackTarget).ToList();
    }
}
