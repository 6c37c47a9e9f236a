namespace StreamLstm.Model;

/// <summary>
/// Who made a switch of a store's current version: kept with the switch in the store's history and written as the
/// <c>source</c> tag of its <c>model_event</c>.
/// </summary>
public static class ModelSwitchSource
{
    /// <summary>A worker's retraining: a promoted challenger, or naive in place of a retired champion.</summary>
    public const string Retrain = "retrain";

    /// <summary>An operator: <c>models promote</c>, <c>models rollback</c>, or any other switch made by hand.</summary>
    public const string Operator = "operator";

    /// <summary>The <c>train</c> verb (any version added and made current at once).</summary>
    public const string Train = "train";

    /// <summary>Whether <paramref name="source"/> is one of the sources above.</summary>
    public static bool IsKnown(string? source) => source is Retrain or Operator or Train;
}
