namespace StreamLstm.Model;

/// <summary>A loaded, validated model version: network, calibration and metadata.</summary>
public sealed class ModelVersion(LstmForecaster network, ModelConfiguration configuration, ModelMetadata metadata) : IDisposable
{
    /// <summary>The network, in evaluation mode.</summary>
    public LstmForecaster Network { get; } = network;

    /// <summary>Shape and calibration.</summary>
    public ModelConfiguration Configuration { get; } = configuration;

    /// <summary>What the version records about itself.</summary>
    public ModelMetadata Metadata { get; } = metadata;

    /// <summary>The version id (the <c>model</c> tag of its forecasts).</summary>
    public string Id => Metadata.Version;

    /// <summary>Shorthand for <c>Configuration.Model</c>.</summary>
    public ModelSettings Settings => Configuration.Model;

    /// <summary>Shorthand for <c>Configuration.Calibration</c>.</summary>
    public Calibration Calibration => Configuration.Calibration;

    public void Dispose() => Network.Dispose();
}
