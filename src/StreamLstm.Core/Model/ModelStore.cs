using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;

namespace StreamLstm.Model;

/// <summary>
/// A directory of model versions. Layout: <c>versions/&lt;id&gt;/{weights.bin,config.json,metadata.json}</c> and a
/// <c>current</c> file naming the current version. A version is written into a temporary folder and renamed into place,
/// and <c>current</c> is replaced by rename, so a crash mid-write never leaves a half-written version current.
/// </summary>
public sealed class ModelStore
{
    /// <summary>Versions a store keeps after a new one is added, unless configured (<c>Model:KeepVersions</c>).</summary>
    public const int DefaultKeepVersions = 5;

    private const string CurrentFile = "current";
    private const string HistoryFile = "history";
    private const string VersionsFolder = "versions";
    private const string WeightsFile = "weights.bin";
    private const string ConfigFile = "config.json";
    private const string MetadataFile = "metadata.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public ModelStore(string directory)
    {
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The store's folder.</summary>
    public string Directory { get; }

    private string VersionsPath => Path.Combine(Directory, VersionsFolder);

    /// <summary>The current version's id, or null when the store has none.</summary>
    public string? CurrentVersion
    {
        get
        {
            var path = Path.Combine(Directory, CurrentFile);
            if (!File.Exists(path)) return null;
            var id = File.ReadAllText(path).Trim();
            return id.Length == 0 ? null : id;
        }
    }

    /// <summary>Ids of the versions in the store, oldest first.</summary>
    public IReadOnlyList<string> Versions()
    {
        if (!System.IO.Directory.Exists(VersionsPath)) return [];
        return System.IO.Directory.GetDirectories(VersionsPath)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => TryParseNumber(name, out _))
            .OrderBy(name => { TryParseNumber(name, out var n); return n; })
            .ToList();
    }

    /// <summary>
    /// Writes a new version (id <c>v{n}</c>, n one more than the highest so far) and, when <paramref name="makeCurrent"/>,
    /// makes it current. Returns its id.
    /// </summary>
    public string Add(LstmForecaster network, Calibration calibration, ModelMetadata metadata, bool makeCurrent = true)
    {
        System.IO.Directory.CreateDirectory(VersionsPath);
        RemoveAbandonedStaging();
        var staging = Path.Combine(VersionsPath, $".staging-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(staging);
        string id;
        try
        {
            var weightsPath = Path.Combine(staging, WeightsFile);
            network.save(weightsPath);
            using (var written = new FileStream(weightsPath, FileMode.Open, FileAccess.ReadWrite))
                written.Flush(flushToDisk: true);
            var (bytes, sha) = Fingerprint(weightsPath);
            var config = new ModelConfiguration(network.Settings, calibration);
            WriteDurably(Path.Combine(staging, ConfigFile), JsonSerializer.SerializeToUtf8Bytes(config, Json));
            // The id is taken at the last moment; another writer (a `train` beside a retraining worker) may take the
            // same number first, in which case the rename fails and the next number is tried.
            for (int attempt = 0; ; attempt++)
            {
                id = $"v{Versions().Select(v => { TryParseNumber(v, out var n); return n; }).DefaultIfEmpty(0).Max() + 1}";
                var meta = metadata with
                {
                    Version = id,
                    WeightsBytes = bytes,
                    WeightsSha256 = sha,
                    CreatedUtc = metadata.CreatedUtc == default ? DateTime.UtcNow : metadata.CreatedUtc,
                    Libraries = LibraryVersions(),
                };
                WriteDurably(Path.Combine(staging, MetadataFile), JsonSerializer.SerializeToUtf8Bytes(meta, Json));
                try
                {
                    System.IO.Directory.Move(staging, Path.Combine(VersionsPath, id));
                    break;
                }
                catch (IOException) when (attempt < 10 && System.IO.Directory.Exists(Path.Combine(VersionsPath, id)))
                {
                }
            }
        }
        catch
        {
            if (System.IO.Directory.Exists(staging)) System.IO.Directory.Delete(staging, recursive: true);
            throw;
        }
        if (makeCurrent) SetCurrent(id, "trained");
        return id;
    }

    /// <summary>
    /// Makes <paramref name="id"/> current, atomically, after checking that it loads completely, and records the switch
    /// in the store's history (for <see cref="Rollback"/>). <see cref="NaiveModel.Id"/> may be made current too: the
    /// worker then serves the last price (the retraining does so when naive beats the current model on held-out data).
    /// </summary>
    public void SetCurrent(string id, string reason = "promoted")
    {
        // "naive" is no folder: the worker serves the last price (see NaiveModel) until a version is made current.
        if (id != NaiveModel.Id)
        {
            using (Load(id)) { }
        }
        var temp = Path.Combine(Directory, $".{CurrentFile}.{Guid.NewGuid():N}");
        WriteDurably(temp, System.Text.Encoding.UTF8.GetBytes(id + "\n"));
        File.Move(temp, Path.Combine(Directory, CurrentFile), overwrite: true);
        File.AppendAllText(Path.Combine(Directory, HistoryFile), $"{DateTime.UtcNow:O} {id} {reason}\n");
    }

    /// <summary>
    /// Makes the version that was current before the current one current again; returns it. Throws
    /// <see cref="ModelStoreException"/> when there is none.
    /// </summary>
    public string Rollback()
    {
        var current = CurrentVersion ?? throw new ModelStoreException($"model store '{Directory}' has no current version to roll back from");
        var previous = RollbackTarget(current)
            ?? throw new ModelStoreException($"model store '{Directory}' has no version that was current before {current}");
        SetCurrent(previous, "rollback");
        return previous;
    }

    /// <summary>
    /// Deletes all but the newest <paramref name="keep"/> versions, never the current one nor the one a rollback would
    /// return to. A version is renamed out of sight before it is deleted, so a crash midway leaves no half version.
    /// Returns the ids deleted.
    /// </summary>
    public IReadOnlyList<string> Prune(int keep)
    {
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), keep, "keep at least one version");
        var current = CurrentVersion;
        var rollbackTarget = current is null ? null : RollbackTarget(current);
        var versions = Versions();
        var deleted = new List<string>();
        foreach (var id in versions.Take(Math.Max(0, versions.Count - keep)))
        {
            if (id == current || id == rollbackTarget) continue;
            var doomed = Path.Combine(VersionsPath, $".deleting-{id}-{Guid.NewGuid():N}");
            System.IO.Directory.Move(Path.Combine(VersionsPath, id), doomed);
            System.IO.Directory.Delete(doomed, recursive: true);
            deleted.Add(id);
        }
        return deleted;
    }

    /// <summary>
    /// Deletes staging folders left by writes that were killed midway (older than an hour, so a write in progress in
    /// another process is never touched). They are never loaded: versions are only ever renamed into place whole.
    /// </summary>
    private void RemoveAbandonedStaging()
    {
        foreach (var path in System.IO.Directory.GetDirectories(VersionsPath, ".staging-*").Concat(System.IO.Directory.GetDirectories(VersionsPath, ".deleting-*")))
        {
            try
            {
                if (DateTime.UtcNow - System.IO.Directory.GetLastWriteTimeUtc(path) > TimeSpan.FromHours(1))
                    System.IO.Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>The version that was current before <paramref name="current"/>, per the history; null when none.</summary>
    private string? RollbackTarget(string current) =>
        History().Select(h => h.Version).Reverse().SkipWhile(v => v == current).FirstOrDefault();

    /// <summary>The switches of the current version, oldest first (lines that do not parse are skipped).</summary>
    public IReadOnlyList<(DateTime Utc, string Version, string Reason)> History()
    {
        var path = Path.Combine(Directory, HistoryFile);
        if (!File.Exists(path)) return [];
        var entries = new List<(DateTime, string, string)>();
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ', 3);
            if (parts.Length == 3 && DateTime.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.RoundtripKind, out var utc) && TryParseNumber(parts[1], out _))
                entries.Add((utc, parts[1], parts[2]));
        }
        return entries;
    }

    /// <summary>Loads and validates the current version.</summary>
    public ModelVersion LoadCurrent()
    {
        if (!System.IO.Directory.Exists(Directory))
            throw new ModelStoreException($"model store '{Directory}' does not exist");
        var id = CurrentVersion
            ?? throw new ModelStoreException($"model store '{Directory}' has no current version (train one with 'streamlstm train')");
        if (id == NaiveModel.Id)
            throw new ModelStoreException($"model store '{Directory}' has no current model: its current version is '{NaiveModel.Id}' (no model beat the last price; 'streamlstm models list' shows the versions)");
        return Load(id);
    }

    /// <summary>Loads and validates version <paramref name="id"/>: configuration, metadata, weights size and checksum, tensor shapes.</summary>
    public ModelVersion Load(string id)
    {
        var config = ReadConfiguration(id);
        var meta = ReadMetadata(id);
        var weights = Path.Combine(VersionPath(id), WeightsFile);
        if (!File.Exists(weights))
            throw new ModelStoreException($"model version '{id}' in '{Directory}' has no {WeightsFile}");
        var (bytes, sha) = Fingerprint(weights);
        if (bytes != meta.WeightsBytes)
            throw new ModelStoreException($"model version '{id}': {WeightsFile} is {bytes} bytes, metadata says {meta.WeightsBytes} (truncated or replaced)");
        if (!string.Equals(sha, meta.WeightsSha256, StringComparison.OrdinalIgnoreCase))
            throw new ModelStoreException($"model version '{id}': {WeightsFile} does not match its SHA-256 in {MetadataFile} (corrupt)");
        var network = new LstmForecaster(config.Model);
        try
        {
            network.load(weights, strict: true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            network.Dispose();
            throw new ModelStoreException($"model version '{id}': {WeightsFile} does not fit the shape in {ConfigFile} ({FirstLine(ex.Message)})", ex);
        }
        network.eval();
        return new ModelVersion(network, config, meta);
    }

    /// <summary>Reads and validates a version's <c>config.json</c>.</summary>
    public ModelConfiguration ReadConfiguration(string id)
    {
        var path = Path.Combine(VersionPath(id), ConfigFile);
        var config = ReadJson<ModelConfiguration>(id, path);
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
        return config;
    }

    /// <summary>Reads and validates a version's <c>metadata.json</c>.</summary>
    public ModelMetadata ReadMetadata(string id)
    {
        var meta = ReadJson<ModelMetadata>(id, Path.Combine(VersionPath(id), MetadataFile));
        if (meta.Version != id)
            throw new ModelStoreException($"model version '{id}': {MetadataFile} says it is version '{meta.Version}' (mismatched)");
        return meta;
    }

    private string VersionPath(string id)
    {
        if (!TryParseNumber(id, out _))
            throw new ModelStoreException($"'{id}' is not a model version id (expected v1, v2, ...)");
        var path = Path.Combine(VersionsPath, id);
        if (!System.IO.Directory.Exists(path))
            throw new ModelStoreException($"model store '{Directory}' has no version '{id}'");
        return path;
    }

    private static T ReadJson<T>(string id, string path)
    {
        if (!File.Exists(path))
            throw new ModelStoreException($"model version '{id}' has no {Path.GetFileName(path)}");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllBytes(path), Json)
                ?? throw new ModelStoreException($"model version '{id}': {Path.GetFileName(path)} is empty");
        }
        catch (JsonException ex)
        {
            throw new ModelStoreException($"model version '{id}': {Path.GetFileName(path)} is not valid: {FirstLine(ex.Message)}", ex);
        }
    }

    internal static bool TryParseNumber(string? id, out int number)
    {
        number = 0;
        return id is { Length: > 1 } && id[0] == 'v' && int.TryParse(id.AsSpan(1), System.Globalization.NumberStyles.None, null, out number) && number > 0;
    }

    private static (long Bytes, string Sha256) Fingerprint(string path)
    {
        using var stream = File.OpenRead(path);
        var hash = SHA256.HashData(stream);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }

    private static void WriteDurably(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    private static string FirstLine(string text)
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
