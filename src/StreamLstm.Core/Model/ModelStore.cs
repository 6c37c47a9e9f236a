using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using static StreamLstm.Model.ModelVersionFiles;

namespace StreamLstm.Model;

/// <summary>
/// A directory of model versions. Layout: <c>versions/&lt;id&gt;/{weights.bin,config.json,metadata.json}</c>, a
/// <c>current</c> file naming the current version, and a <c>history</c> file of its switches, one a line:
/// <c>{utc} {version} {reason} source={source}</c> (lines of earlier releases end with the reason). A version is written into a temporary folder and renamed into place,
/// and <c>current</c> is replaced by rename, so a crash mid-write never leaves a half-written version current. Switches
/// of the current version (and their check against the expected current one) are serialized by an exclusive lock on
/// <c>.current.lock</c>, so they are atomic between the processes of one host sharing the folder (not over NFS).
/// </summary>
public sealed class ModelStore : IModelStore
{
    /// <summary>Versions a store keeps after a new one is added, unless configured (<c>Model:KeepVersions</c>).</summary>
    public const int DefaultKeepVersions = 5;

    private const string CurrentFile = "current";
    private const string CurrentLockFile = ".current.lock";
    private const string HistoryFile = "history";
    private const string VersionsFolder = "versions";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

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

    /// <inheritdoc/>
    public string Location => Directory;

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
                var meta = Stamp(metadata, id, bytes, sha);
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
        if (makeCurrent) Switch(id, "trained", ModelSwitchSource.Train, check: false, expectedCurrent: null);
        return id;
    }

    /// <summary>
    /// Makes <paramref name="id"/> current, atomically, after checking that it loads completely, and records the switch
    /// in the store's history (for <see cref="Rollback"/>). <see cref="NaiveModel.Id"/> may be made current too: the
    /// worker then serves the last price (the retraining does so when naive beats the current model on held-out data).
    /// </summary>
    public void SetCurrent(string id, string reason = "promoted") => Switch(id, reason, ModelSwitchSource.Operator, check: false, expectedCurrent: null);

    /// <inheritdoc/>
    public void SetCurrent(string id, string reason, string? expectedCurrent, string source = ModelSwitchSource.Operator) =>
        Switch(id, reason, source, check: true, expectedCurrent);

    private void Switch(string id, string reason, string source, bool check, string? expectedCurrent)
    {
        ModelStoreRules.CheckSource(source);
        ModelStoreRules.CheckLoads(this, id);
        using var exclusive = LockCurrent();
        if (check) ModelStoreRules.CheckExpected($"model store '{Directory}'", id, CurrentVersion, expectedCurrent);
        var temp = Path.Combine(Directory, $".{CurrentFile}.{Guid.NewGuid():N}");
        WriteDurably(temp, System.Text.Encoding.UTF8.GetBytes(id + "\n"));
        File.Move(temp, Path.Combine(Directory, CurrentFile), overwrite: true);
        File.AppendAllText(Path.Combine(Directory, HistoryFile), $"{DateTime.UtcNow:O} {id} {reason}{SourceMark}{source}\n");
    }

    /// <summary>Holds <c>.current.lock</c> exclusively (an advisory lock on Unix), waiting while another writer holds it.</summary>
    private FileStream LockCurrent()
    {
        var path = Path.Combine(Directory, CurrentLockFile);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex) when (ex is not DirectoryNotFoundException && clock.Elapsed < LockTimeout)
            {
                Thread.Sleep(20);
            }
            catch (IOException ex) when (ex is not DirectoryNotFoundException)
            {
                throw new ModelStoreException($"model store '{Directory}': {CurrentLockFile} stayed locked by another writer for {LockTimeout.TotalSeconds:F0} s", ex);
            }
        }
    }

    /// <summary>
    /// Makes the version that was current before the current one current again; returns it. Throws
    /// <see cref="ModelStoreException"/> when there is none.
    /// </summary>
    public string Rollback()
    {
        var current = CurrentVersion ?? throw new ModelStoreException($"model store '{Directory}' has no current version to roll back from");
        var previous = ModelStoreRules.RollbackTarget(History(), current)
            ?? throw new ModelStoreException($"model store '{Directory}' has no version that was current before {current}");
        SetCurrent(previous, "rollback", expectedCurrent: current);
        return previous;
    }

    /// <summary>
    /// Deletes all but the newest <paramref name="keep"/> versions, never the current one nor the one a rollback would
    /// return to. A version is renamed out of sight before it is deleted, so a crash midway leaves no half version.
    /// Returns the ids deleted.
    /// </summary>
    public IReadOnlyList<string> Prune(int keep)
    {
        var deleted = new List<string>();
        foreach (var id in ModelStoreRules.PruneCandidates(Versions(), keep, CurrentVersion, History()))
        {
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

    /// <summary>The switches of the current version to versions (not to naive), oldest first (lines that do not parse are skipped).</summary>
    public IReadOnlyList<ModelSwitch> History() => Switches().Where(s => TryParseNumber(s.Version, out _)).ToList();

    /// <inheritdoc/>
    public ModelSwitch? LastSwitch() => Switches().LastOrDefault();

    private const string SourceMark = " source=";

    /// <summary>Every switch in the history file, to naive too, oldest first.</summary>
    private IEnumerable<ModelSwitch> Switches()
    {
        var path = Path.Combine(Directory, HistoryFile);
        if (!File.Exists(path)) yield break;
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ', 3);
            if (parts.Length < 3 || !DateTime.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.RoundtripKind, out var utc) || !(parts[1] == NaiveModel.Id || TryParseNumber(parts[1], out _)))
                continue;
            var (reason, source) = (parts[2], (string?)null);
            int mark = reason.LastIndexOf(SourceMark, StringComparison.Ordinal);
            if (mark >= 0 && ModelSwitchSource.IsKnown(reason[(mark + SourceMark.Length)..]))
                (reason, source) = (reason[..mark], reason[(mark + SourceMark.Length)..]);
            yield return new ModelSwitch(utc, parts[1], reason, source);
        }
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
        CheckWeights(id, meta, bytes, sha);
        return Build(id, config, meta, network => network.load(weights, strict: true));
    }

    /// <summary>Reads and validates a version's <c>config.json</c>.</summary>
    public ModelConfiguration ReadConfiguration(string id)
    {
        var path = Path.Combine(VersionPath(id), ConfigFile);
        return CheckConfiguration(id, ReadJson<ModelConfiguration>(id, path));
    }

    /// <summary>Reads and validates a version's <c>metadata.json</c>.</summary>
    public ModelMetadata ReadMetadata(string id)
    {
        return CheckMetadata(id, ReadJson<ModelMetadata>(id, Path.Combine(VersionPath(id), MetadataFile)));
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
        return Parse<T>(id, Path.GetFileName(path), File.ReadAllBytes(path));
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

    /// <summary>Nothing to release: every operation opens and closes its files.</summary>
    public void Dispose()
    {
    }
}
