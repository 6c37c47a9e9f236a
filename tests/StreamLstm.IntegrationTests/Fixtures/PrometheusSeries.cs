namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>One series of a PromQL result: its labels (<c>__name__</c> included where the result keeps it) and its samples.</summary>
internal sealed record PrometheusSeries(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<PrometheusSample> Values)
{
    /// <summary>The last sample's value (an instant vector has exactly one).</summary>
    public double Value => Values[^1].Value;

    public override string ToString() =>
        $"{{{string.Join(", ", Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}=\"{l.Value}\""))}}} " +
        string.Join(", ", Values.TakeLast(3).Select(v => v.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
