namespace StreamLstm.Model;

/// <summary>
/// Model versions (<c>v1</c>, <c>v2</c>, ...: network weights, configuration, metadata), which one is current, and the
/// history of switches. Two backends: a directory (<see cref="ModelStore"/>, <c>Model:Directory</c>) and a compacted
/// Kafka topic shared by every worker of a group (<see cref="KafkaModelStore"/>, <c>Kafka:ModelTopic</c>);
/// <see cref="ModelStores.Open"/> picks one from the configuration.
/// </summary>
public interface IModelStore : IDisposable
{
    /// <summary>Where the store is, for messages: its folder, or its topic.</summary>
    string Location { get; }

    /// <summary>The current version's id (<see cref="NaiveModel.Id"/> when naive was made current), or null when the store has none.</summary>
    string? CurrentVersion { get; }

    /// <summary>Ids of the versions in the store, oldest first.</summary>
    IReadOnlyList<string> Versions();

    /// <summary>
    /// Writes a new version (id <c>v{n}</c>, n one more than the highest so far, never one another writer took) and, when
    /// <paramref name="makeCurrent"/>, makes it current (reason <c>trained</c>, source <see cref="ModelSwitchSource.Train"/>).
    /// Returns its id.
    /// </summary>
    string Add(LstmForecaster network, Calibration calibration, ModelMetadata metadata, bool makeCurrent = true);

    /// <summary>
    /// Makes <paramref name="id"/> current after checking that it loads completely, whatever is current now, and records
    /// the switch in the history as an operator's (<see cref="ModelSwitchSource.Operator"/>). <see cref="NaiveModel.Id"/>
    /// may be made current too.
    /// </summary>
    void SetCurrent(string id, string reason = "promoted");

    /// <summary>
    /// Makes <paramref name="id"/> current only if <paramref name="expectedCurrent"/> (null: no version) is still
    /// current, atomically: a promoter that judged its challenger against a version someone else has replaced meanwhile
    /// is refused with <see cref="ModelStoreConflictException"/>, and the store is left as it is. The switch is recorded
    /// with <paramref name="source"/> (<see cref="ModelSwitchSource"/>; default: an operator's).
    /// </summary>
    void SetCurrent(string id, string reason, string? expectedCurrent, string source = ModelSwitchSource.Operator);

    /// <summary>
    /// Makes the version that was current before the current one current again (only if the current one is still
    /// current when it switches; reason <c>rollback</c>, an operator's switch); returns it. Throws <see cref="ModelStoreException"/> when there is none.
    /// </summary>
    string Rollback();

    /// <summary>
    /// Removes all but the newest <paramref name="keep"/> versions, never the current one nor the one a rollback would
    /// return to. Returns the ids removed.
    /// </summary>
    IReadOnlyList<string> Prune(int keep);

    /// <summary>The switches of the current version between model versions, oldest first.</summary>
    IReadOnlyList<ModelSwitch> History();

    /// <summary>The latest switch of the current version, to naive too; null when there has been none.</summary>
    ModelSwitch? LastSwitch();

    /// <summary>Loads and validates the current version.</summary>
    ModelVersion LoadCurrent();

    /// <summary>Loads and validates version <paramref name="id"/>: configuration, metadata, weights size and checksum, tensor shapes.</summary>
    ModelVersion Load(string id);

    /// <summary>Reads and validates a version's configuration (<c>config.json</c>).</summary>
    ModelConfiguration ReadConfiguration(string id);

    /// <summary>Reads and validates a version's metadata (<c>metadata.json</c>).</summary>
    ModelMetadata ReadMetadata(string id);
}
