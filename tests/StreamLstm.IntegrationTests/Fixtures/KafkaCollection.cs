namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>Tests that need only Kafka share one cluster for the run.</summary>
[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaFixture>
{
    public const string Name = "Kafka";
}
