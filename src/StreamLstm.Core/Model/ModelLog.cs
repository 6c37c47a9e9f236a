namespace StreamLstm.Model;

/// <summary>
/// The state of a <see cref="KafkaModelStore"/>: its topic's records folded in offset order. No I/O: the store feeds
/// it what it reads, and every reader that feeds it the same partition gets the same state.
/// <list type="bullet">
/// <item><c>weights/&lt;upload&gt;/&lt;n&gt;</c>: chunk n of an upload's weights, kept until tombstoned.</item>
/// <item><c>version/vN/&lt;upload&gt;</c>: a manifest claiming id vN. Accepted when N is above every id accepted
/// before it (so the first claim of each number wins; a writer claims one more than the highest it has seen, and ids
/// come out contiguous); refused otherwise.</item>
/// <item><c>current/&lt;proposal&gt;</c>: a switch proposed by a writer that saw generation g. Accepted when g is at
/// least the generation so far; the generation becomes g + 1 and its version current. In a whole log no writer can
/// have seen a generation above the one at its own record, so this is "g equals the generation": the first proposal
/// made from generation g wins, and any other made from g (or earlier: a stale writer) is refused.</item>
/// </list>
/// "At least" rather than "equals" is what keeps the fold right on a compacted topic, where tombstoned records may be
/// gone, or only some of them: the store only ever removes (a) refused records, which changed nothing, (b) the switches
/// before one it keeps together with everything after it (the records before it hold generations below its own, so
/// whatever subset of them survives, it is accepted and the fold is the same from there on), and (c) the manifests of a
/// pruned version, its refused ones before its accepted one, never the newest version. Kafka's cleaner removes records
/// up to an offset, and a reader reads to the high watermark, never below what was cleaned; so a refused manifest is
/// gone before, or with, the one that made it refused, and no reader, wherever its read stops (the pruner's tombstones
/// half written), takes a loser for the pruned id; every later claim of that number was refused because of a newer id
/// that is still there. Unit tests fold such a log compacted at every offset and compare.
/// </summary>
internal sealed class ModelLog
{
    private readonly Dictionary<string, Manifest> _versions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _refused = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    private readonly List<Switch> _switches = [];

    /// <summary>The offset after the last record folded in.</summary>
    public long NextOffset { get; private set; }

    /// <summary>How many switches of the current version were accepted (0: none yet).</summary>
    public long Generation { get; private set; }

    /// <summary>The current version; null before the first switch.</summary>
    public string? Current { get; private set; }

    /// <summary>The highest version number ever accepted (a pruned one included): the next id is one more.</summary>
    public int Highest { get; private set; }

    /// <summary>The versions, oldest first.</summary>
    public IEnumerable<Manifest> Versions => _versions.Values.OrderBy(v => v.Number);

    /// <summary>The accepted switches still on the topic, oldest first.</summary>
    public IReadOnlyList<Switch> Switches => _switches;

    /// <summary>Folds in one record (<paramref name="value"/> null: a tombstone) and says what became of it.</summary>
    public ModelLogDecision Apply(long offset, string? key, byte[]? value, DateTime utc)
    {
        NextOffset = Math.Max(NextOffset, offset + 1);
        if (key is null) return ModelLogDecision.NotAClaim;
        if (value is null)
        {
            Remove(key);
            return ModelLogDecision.NotAClaim;
        }
        if (ModelRecordKeys.TryVersion(key, out var id, out var number, out var upload))
        {
            if (number <= Highest) return Refuse(key, offset);
            Highest = number;
            _versions[id] = new Manifest(id, number, key, upload, offset, value);
            return ModelLogDecision.Accepted;
        }
        if (ModelRecordKeys.IsCurrent(key))
        {
            if (ModelSwitchRecord.Parse(value) is not { } proposal || proposal.ExpectedGeneration < Generation) return Refuse(key, offset);
            Generation = proposal.ExpectedGeneration + 1;
            Current = proposal.Version;
            _switches.Add(new Switch(key, offset, proposal.Version, proposal.Reason, proposal.Utc, ModelSwitchSource.IsKnown(proposal.Source) ? proposal.Source : null));
            return ModelLogDecision.Accepted;
        }
        if (ModelRecordKeys.TryWeights(key, out upload, out var chunk))
        {
            if (!_uploads.TryGetValue(upload, out var chunks)) _uploads[upload] = chunks = new Upload(utc, []);
            chunks.Chunks[chunk] = value;
        }
        return ModelLogDecision.NotAClaim;
    }

    /// <summary>Notes that the partition was read to <paramref name="end"/>, past any offsets compaction left empty.</summary>
    public void ReadTo(long end) => NextOffset = Math.Max(NextOffset, end);

    /// <summary>The chunks of <paramref name="manifest"/>'s upload that are on the topic, by number (empty when none).</summary>
    public IReadOnlyDictionary<int, byte[]> Chunks(Manifest manifest) =>
        _uploads.TryGetValue(manifest.Upload, out var upload) ? upload.Chunks : new Dictionary<int, byte[]>();

    /// <summary>
    /// The keys to tombstone to prune <paramref name="pruned"/> and tidy up, in the order they must be written: every
    /// refused record first; then the manifests of the pruned versions; the switches before the newest
    /// <paramref name="keepSwitches"/>; the chunks of the pruned versions and of uploads no manifest names that began
    /// before <paramref name="abandonedBefore"/> (an upload in progress is younger).
    /// </summary>
    public List<string> Tombstones(IReadOnlyCollection<string> pruned, int keepSwitches, DateTime abandonedBefore)
    {
        var keys = _refused.OrderBy(r => r.Value).Select(r => r.Key).ToList();
        var doomed = pruned.Select(id => _versions[id]).ToList();
        keys.AddRange(doomed.Select(m => m.Key));
        keys.AddRange(_switches.Take(Math.Max(0, _switches.Count - keepSwitches)).Select(s => s.Key));
        var named = _versions.Values.Except(doomed).Select(m => m.Upload).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, upload) in _uploads)
        {
            if (named.Contains(id) || (upload.FirstUtc >= abandonedBefore && !doomed.Any(m => m.Upload == id))) continue;
            keys.AddRange(upload.Chunks.Keys.Order().Select(n => ModelRecordKeys.Weights(id, n)));
        }
        return keys;
    }

    private ModelLogDecision Refuse(string key, long offset)
    {
        _refused[key] = offset;
        return ModelLogDecision.Refused;
    }

    private void Remove(string key)
    {
        if (_refused.Remove(key)) return;
        if (ModelRecordKeys.TryVersion(key, out var id, out _, out _))
        {
            if (_versions.TryGetValue(id, out var manifest) && manifest.Key == key) _versions.Remove(id);
        }
        else if (ModelRecordKeys.IsCurrent(key))
        {
            // The generation and the current version stay: only switches older than the kept ones are ever removed.
            _switches.RemoveAll(s => s.Key == key);
        }
        else if (ModelRecordKeys.TryWeights(key, out var upload, out var chunk) && _uploads.TryGetValue(upload, out var chunks))
        {
            chunks.Chunks.Remove(chunk);
            if (chunks.Chunks.Count == 0) _uploads.Remove(upload);
        }
    }

    /// <summary>An accepted manifest: version <paramref name="Id"/>, its record's key and offset, and its value (JSON).</summary>
    public sealed record Manifest(string Id, int Number, string Key, string Upload, long Offset, byte[] Value);

    /// <summary>An accepted switch; <paramref name="Source"/> null when its record names none (or none known).</summary>
    public sealed record Switch(string Key, long Offset, string Version, string Reason, DateTime Utc, string? Source = null)
    {
        /// <summary>As the stores' history lists it.</summary>
        public ModelSwitch ToModelSwitch() => new(Utc, Version, Reason, Source);
    }

    private sealed record Upload(DateTime FirstUtc, Dictionary<int, byte[]> Chunks);
}
