using System.Text.Json;
using System.Text.Json.Nodes;

namespace StreamLstm.Model;

/// <summary>
/// The value of a <c>version/vN/&lt;upload&gt;</c> record on the model topic: the version's <c>config.json</c> and
/// <c>metadata.json</c> as they would be in a directory store, and how many <c>weights/&lt;upload&gt;/n</c> chunks
/// hold its <c>weights.bin</c>: <c>{"chunks": 3, "config": {...}, "metadata": {...}}</c>.
/// </summary>
internal static class ModelManifestRecord
{
    private static readonly JsonSerializerOptions Json = new(ModelStore.Json) { WriteIndented = false };

    public static byte[] Encode(int chunks, ModelConfiguration configuration, ModelMetadata metadata) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["chunks"] = chunks,
            ["config"] = JsonSerializer.SerializeToNode(configuration, Json),
            ["metadata"] = JsonSerializer.SerializeToNode(metadata, Json),
        }, Json);

    /// <summary>The chunk count and the two files of version <paramref name="id"/>'s manifest; refused naming what is wrong.</summary>
    public static (int Chunks, byte[] Config, byte[] Metadata) Decode(string id, string location, byte[] value)
    {
        try
        {
            using var document = JsonDocument.Parse(value);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("chunks", out var chunks) || !chunks.TryGetInt32(out var count) || count < 1)
                throw new ModelStoreException($"model version '{id}': its manifest on {location} does not say how many chunks hold {ModelVersionFiles.WeightsFile}");
            return (count, File(root, "config", ModelVersionFiles.ConfigFile), File(root, "metadata", ModelVersionFiles.MetadataFile));
        }
        catch (JsonException ex)
        {
            throw new ModelStoreException($"model version '{id}': its manifest on {location} is not valid: {ModelVersionFiles.FirstLine(ex.Message)}", ex);
        }

        byte[] File(JsonElement root, string property, string file) =>
            root.TryGetProperty(property, out var element)
                ? JsonSerializer.SerializeToUtf8Bytes(element)
                : throw new ModelStoreException($"model version '{id}' has no {file} in its manifest on {location}");
    }
}
