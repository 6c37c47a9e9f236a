namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>End-to-end tests (Kafka in, the worker, InfluxDB out) get both servers; they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<KafkaFixture>, ICollectionFixture<InfluxFixture>
{
    public const string Name = "Pipeline";
}
