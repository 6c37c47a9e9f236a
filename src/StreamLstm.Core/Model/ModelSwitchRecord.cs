using System.Text.Json;

namespace StreamLstm.Model;

/// <summary>
/// The value of a <c>current/&lt;proposal&gt;</c> record on the model topic: make <paramref name="Version"/> current,
/// proposed by a writer that saw the store at generation <paramref name="ExpectedGeneration"/>.
/// </summary>
/// <param name="Version">The version to make current (<c>vN</c> or <c>naive</c>).</param>
/// <param name="Reason">Why (<c>promoted</c>, <c>trained</c>, <c>rollback</c>, ...), kept in the history.</param>
/// <param name="Utc">When it was proposed.</param>
/// <param name="ExpectedGeneration">The generation of the current version the writer saw (0: no switch yet).</param>
/// <param name="Source">Who made it (<see cref="ModelSwitchSource"/>); null in records of releases that did not write it.</param>
internal sealed record ModelSwitchRecord(string Version, string Reason, DateTime Utc, long ExpectedGeneration, string? Source = null)
{
    private static readonly JsonSerializerOptions Json = new(ModelStore.Json) { WriteIndented = false };

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>The record in <paramref name="value"/>; null when it is not one (it is then refused by every reader alike).</summary>
    public static ModelSwitchRecord? Parse(byte[] value)
    {
        try
        {
            var record = JsonSerializer.Deserialize<ModelSwitchRecord>(value, Json);
            return record is { Version: { } v, Reason: not null, ExpectedGeneration: >= 0 }
                && (v == NaiveModel.Id || ModelStore.TryParseNumber(v, out _)) ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
