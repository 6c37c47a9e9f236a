namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>Tests that need only InfluxDB share one server (and its front) for the run.</summary>
[CollectionDefinition(Name)]
public sealed class InfluxCollection : ICollectionFixture<InfluxFixture>
{
    public const string Name = "InfluxDB";
}
