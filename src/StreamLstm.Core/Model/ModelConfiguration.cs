namespace StreamLstm.Model;

/// <summary>What a network needs besides its weights (<c>config.json</c>): its shape and its calibration.</summary>
public sealed record ModelConfiguration(ModelSettings Model, Calibration Calibration);
