using Microsoft.Extensions.Logging;
using StreamLstm.Ingest;

namespace StreamLstm.Model;

/// <summary>Picks the model store backend from the configuration.</summary>
public static class ModelStores
{
    /// <summary>
    /// The store on <c>Kafka:ModelTopic</c> (<see cref="KafkaModelStore"/>) when it is set, otherwise the directory
    /// <paramref name="directory"/> (<c>Model:Directory</c>, <see cref="ModelStore"/>).
    /// </summary>
    public static IModelStore Open(KafkaOptions kafka, string directory, ILoggerFactory loggers) =>
        string.IsNullOrWhiteSpace(kafka.ModelTopic)
            ? new ModelStore(directory)
            : new KafkaModelStore(kafka, loggers.CreateLogger<KafkaModelStore>());
}
