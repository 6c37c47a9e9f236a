namespace StreamLstm.Ingest;

/// <summary>The librdkafka settings every client takes from <c>Kafka:Consumer:*</c>, besides the group consumer itself.</summary>
public static class KafkaClientSettings
{
    /// <summary>
    /// The connection and security settings of <paramref name="settings"/> (<c>security.*</c>, <c>sasl.*</c>,
    /// <c>ssl.*</c>, <c>client.*</c>): they apply to every client; the group consumer's own tuning does not.
    /// </summary>
    public static Dictionary<string, string> Connection(IReadOnlyDictionary<string, string> settings) =>
        settings.Where(s => s.Key.StartsWith("security.", StringComparison.Ordinal) || s.Key.StartsWith("sasl.", StringComparison.Ordinal)
                || s.Key.StartsWith("ssl.", StringComparison.Ordinal) || s.Key.StartsWith("client.", StringComparison.Ordinal))
            .ToDictionary(s => s.Key, s => s.Value);
}
