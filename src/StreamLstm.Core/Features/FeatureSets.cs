namespace StreamLstm.Features;

/// <summary>
/// The feature sets a model can read (<c>Model:Features</c>): <c>price</c>, the first
/// <see cref="SymbolFeatures.PriceCount"/> features; <c>quote</c>, all <see cref="SymbolFeatures.Count"/>, adding those of
/// bid, ask, volume and tick intensity; <c>auto</c>, chosen when a model is trained (see <c>ModelTrainer</c>).
/// </summary>
public static class FeatureSets
{
    public const string Auto = "auto";
    public const string Price = "price";
    public const string Quote = "quote";

    /// <summary>Every accepted value.</summary>
    public static IReadOnlyList<string> All { get; } = [Auto, Price, Quote];

    /// <summary>The inputs a model of the set reads (<c>auto</c> counts as <c>price</c> until it is resolved).</summary>
    public static int InputSize(string set) => set == Quote ? SymbolFeatures.Count : SymbolFeatures.PriceCount;
}
