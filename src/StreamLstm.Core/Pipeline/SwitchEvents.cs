using Microsoft.Extensions.Logging;
using StreamLstm.Learning;
using StreamLstm.Model;

namespace StreamLstm.Pipeline;

/// <summary>
/// The <c>model_event</c>s of the switches the worker takes over from the store that no retraining reported: those of
/// an operator (<c>models promote</c>, <c>models rollback</c>) and of <c>train</c>, made while the worker runs or
/// while it was stopped. The last switch the worker has taken over is kept in a marker file, so that one made while
/// it was stopped is reported once, when it starts, and not again after a restart.
/// </summary>
/// <param name="markerPath">The marker file; null: switches made while the worker was stopped are not reported.</param>
/// <param name="logger">Where a marker that cannot be written is reported.</param>
internal sealed partial class SwitchEvents(string? markerPath, ILogger logger)
{
    /// <summary>
    /// The store follower made <paramref name="loaded"/> serve: the event of <paramref name="last"/>, the store's latest
    /// switch, when it made that version current and no retraining reported it; else null.
    /// </summary>
    public ModelEvent? TakenOver(ModelSwitch? last, ModelVersion loaded)
    {
        if (last is null || last.Version != loaded.Id) return null;
        Remember(last);
        // A switch recorded by an earlier release has no source; of those, only rollbacks were reported then.
        var source = last.Source ?? (last.Reason == "rollback" ? ModelSwitchSource.Operator : null);
        return Event(last, loaded, source);
    }

    /// <summary>
    /// At start, serving <paramref name="serving"/>: the event of <paramref name="last"/>, the store's latest switch,
    /// when it made that version current while this worker was stopped (the marker names another switch, or none) and
    /// no retraining reported it; else null.
    /// </summary>
    public ModelEvent? AtStart(ModelSwitch? last, ModelVersion serving)
    {
        if (markerPath is null || last is null || Read() == Key(last)) return null;
        Remember(last);
        return last.Version == serving.Id ? Event(last, serving, last.Source) : null;
    }

    /// <summary>The switch's event, with the figures <paramref name="model"/> was admitted on; null for a retraining's switch (it reports its own) or one of no known source.</summary>
    private static ModelEvent? Event(ModelSwitch change, ModelVersion model, string? source)
    {
        if (source is null or ModelSwitchSource.Retrain) return null;
        var action = change.Reason == "rollback" ? "rollback" : "promoted";
        // Naive's rel_mae is 1 by definition, as when the retraining retires a champion to it.
        if (NaiveModel.Is(model)) return new ModelEvent(action, NaiveModel.Id, 1.0, double.NaN, double.NaN, default, source);
        // The held-out evaluation it won on (a retraining's version), or its validation (train's).
        var meta = model.Metadata;
        return new ModelEvent(action, model.Id,
            meta.Holdout?.RelMae ?? meta.ValidationRelMae.FirstOrDefault(double.NaN),
            meta.Holdout?.ChampionRelMae ?? double.NaN,
            meta.Holdout?.Coverage80 ?? meta.ValidationCoverage80.FirstOrDefault(double.NaN), default, source);
    }

    private static string Key(ModelSwitch change) => $"{change.Utc:O} {change.Version}";

    private string? Read()
    {
        try
        {
            return File.Exists(markerPath) ? File.ReadAllText(markerPath).Trim() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogMarkerFailed(logger, markerPath!, ex.Message);
            return null;
        }
    }

    private void Remember(ModelSwitch change)
    {
        if (markerPath is null) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(markerPath))!);
            var temp = $"{markerPath}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, Key(change) + "\n");
            File.Move(temp, markerPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogMarkerFailed(logger, markerPath, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The marker of the model switches taken over, {Path}, cannot be used ({Reason}): a switch made while the worker is stopped may be reported again at the next start")]
    private static partial void LogMarkerFailed(ILogger logger, string path, string reason);
}
