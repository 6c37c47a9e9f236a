using System.Security.Cryptography;
using System.Text.Json;
using TorchSharp;

namespace StreamLstm.Model;

/// <summary>
/// What every model store backend does with a version's three files (<c>weights.bin</c>, <c>config.json</c>,
/// <c>metadata.json</c>), wherever they are kept: stamping the metadata, validating configuration, metadata and weights,
/// and building the network. The messages are one line naming the version and the file.
/// </summary>
internal static class ModelVersionFiles
{
    public const string WeightsFile = "weights.bin";
    public const string ConfigFile = "config.json";
    public const string MetadataFile = "metadata.json";

    /// <summary>The metadata a version is written with: its id, the weights' size and SHA-256, the time, the libraries.</summary>
    public static ModelMetadata Stamp(ModelMetadata metadata, string id, long weightsBytes, string weightsSha256) => metadata with
    {
        Version = id,
        WeightsBytes = weightsBytes,
        WeightsSha256 = weightsSha256,
        CreatedUtc = metadata.CreatedUtc == default ? DateTime.UtcNow : metadata.CreatedUtc,
        Libraries = LibraryVersions(),
    };

    /// <summary>Parses one of a version's JSON files; a file that does not parse is refused naming it.</summary>
    public static T Parse<T>(string id, string file, byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, ModelStore.Json)
                ?? throw new ModelStoreException($"model version '{id}': {file} is empty");
        }
        catch (JsonException ex)
        {
            throw new ModelStoreException($"model version '{id}': {file} is not valid: {FirstLine(ex.Message)}", ex);
        }
    }

    /// <summary>Refuses a configuration without shape or calibration, an invalid shape, or a calibration that does not fit it.</summary>
    public static ModelConfiguration CheckConfiguration(string id, ModelConfiguration config)
    {
        if (config.Model is null || config.Calibration is null)
            throw new ModelStoreException($"model version '{id}': {ConfigFile} lacks 'model' or 'calibration'");
        try
        {
            config.Model.Validate();
        }
        catch (System.ComponentModel.DataAnnotations.ValidationException ex)
        {
            throw new ModelStoreException($"model version '{id}': {ConfigFile} is invalid: {ex.Message}");
        }
        int h = config.Model.Horizons;
        if (config.Calibration.Shrink is not { } shrink || config.Calibration.IntervalScale is not { } scale
            || shrink.Length != h || scale.Length != h)
            throw new ModelStoreException($"model version '{id}': {ConfigFile} calibration does not have {h} horizons");
        if (shrink.Any(v => !double.IsFinite(v) || v < 0 || v > 1) || scale.Any(v => !double.IsFinite(v) || v <= 0))
            throw new ModelStoreException($"model version '{id}': {ConfigFile} calibration holds values out of range");
        return config with { Model = config.Model.Resolved() };
    }

    /// <summary>Refuses metadata that names another version.</summary>
    public static ModelMetadata CheckMetadata(string id, ModelMetadata meta)
    {
        if (meta.Version != id)
            throw new ModelStoreException($"model version '{id}': {MetadataFile} says it is version '{meta.Version}' (mismatched)");
        return meta;
    }

    /// <summary>Refuses weights whose size or SHA-256 is not the one the metadata records.</summary>
    public static void CheckWeights(string id, ModelMetadata meta, long bytes, string sha256)
    {
        if (bytes != meta.WeightsBytes)
            throw new ModelStoreException($"model version '{id}': {WeightsFile} is {bytes} bytes, metadata says {meta.WeightsBytes} (truncated or replaced)");
        if (!string.Equals(sha256, meta.WeightsSha256, StringComparison.OrdinalIgnoreCase))
            throw new ModelStoreException($"model version '{id}': {WeightsFile} does not match its SHA-256 in {MetadataFile} (corrupt)");
    }

    /// <summary>
    /// The network of <paramref name="config"/>'s shape with the weights <paramref name="load"/> reads into it, in
    /// evaluation mode; weights that do not fit the shape are refused (the network is disposed then).
    /// </summary>
    public static ModelVersion Build(string id, ModelConfiguration config, ModelMetadata meta, Action<LstmForecaster> load)
    {
        var network = new LstmForecaster(config.Model);
        try
        {
            load(network);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            network.Dispose();
            throw new ModelStoreException($"model version '{id}': {WeightsFile} does not fit the shape in {ConfigFile} ({FirstLine(ex.Message)})", ex);
        }
        network.eval();
        return new ModelVersion(network, config, meta);
    }

    /// <summary>The weights of <paramref name="network"/> as TorchSharp writes them to <c>weights.bin</c>.</summary>
    public static byte[] Serialize(LstmForecaster network)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            network.save(writer);
        return buffer.ToArray();
    }

    /// <summary>Loads weights written by <see cref="Serialize"/> (or read from <c>weights.bin</c>) into <paramref name="network"/>.</summary>
    public static void Deserialize(LstmForecaster network, byte[] weights)
    {
        using var buffer = new MemoryStream(weights, writable: false);
        using var reader = new BinaryReader(buffer);
        network.load(reader, strict: true);
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    private static Dictionary<string, string> LibraryVersions() => new()
    {
        ["streamlstm"] = typeof(ModelStore).Assembly.GetName().Version?.ToString() ?? "unknown",
        ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
        ["libtorch"] = "2.10.0",
        ["dotnet"] = Environment.Version.ToString(),
    };
}
