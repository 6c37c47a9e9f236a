using System.Globalization;

namespace StreamLstm.Model;

/// <summary>
/// The keys of the model topic's records (see <see cref="KafkaModelStore"/>). Every record has a key of its own (an
/// upload or proposal id is part of it), so compaction never drops a record in favour of another writer's, and removing
/// one is a tombstone on exactly that key.
/// </summary>
internal static class ModelRecordKeys
{
    private const string VersionPrefix = "version/";
    private const string CurrentPrefix = "current/";
    private const string WeightsPrefix = "weights/";

    /// <summary>The manifest of version <paramref name="id"/> written by upload <paramref name="upload"/>: <c>version/v7/&lt;upload&gt;</c>.</summary>
    public static string Version(string id, string upload) => VersionPrefix + id + "/" + upload;

    /// <summary>A proposal to switch the current version: <c>current/&lt;proposal&gt;</c>.</summary>
    public static string Current(string proposal) => CurrentPrefix + proposal;

    /// <summary>Chunk <paramref name="chunk"/> (from 0) of an upload's <c>weights.bin</c>: <c>weights/&lt;upload&gt;/3</c>.</summary>
    public static string Weights(string upload, int chunk) => WeightsPrefix + upload + "/" + chunk.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="key"/> is a manifest's, and of which version (<c>vN</c>, N its number) and upload.</summary>
    public static bool TryVersion(string key, out string id, out int number, out string upload)
    {
        (id, number, upload) = ("", 0, "");
        if (!key.StartsWith(VersionPrefix, StringComparison.Ordinal)) return false;
        var rest = key.AsSpan(VersionPrefix.Length);
        int slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1) return false;
        var version = rest[..slash].ToString();
        if (!ModelStore.TryParseNumber(version, out number)) return false;
        (id, upload) = (version, rest[(slash + 1)..].ToString());
        return true;
    }

    /// <summary>Whether <paramref name="key"/> is a switch proposal's.</summary>
    public static bool IsCurrent(string key) => key.StartsWith(CurrentPrefix, StringComparison.Ordinal) && key.Length > CurrentPrefix.Length;

    /// <summary>Whether <paramref name="key"/> is a weights chunk's, and of which upload and chunk.</summary>
    public static bool TryWeights(string key, out string upload, out int chunk)
    {
        (upload, chunk) = ("", 0);
        if (!key.StartsWith(WeightsPrefix, StringComparison.Ordinal)) return false;
        var rest = key.AsSpan(WeightsPrefix.Length);
        int slash = rest.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(rest[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out chunk)) return false;
        upload = rest[..slash].ToString();
        return true;
    }
}
