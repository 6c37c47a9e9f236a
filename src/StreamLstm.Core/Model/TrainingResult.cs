namespace StreamLstm.Model;

/// <summary>A trained network with its calibration and what validation measured.</summary>
/// <param name="Network">The network with the weights of the best validation epoch.</param>
/// <param name="Calibration">Point shrinkage and interval scale per horizon, fitted on validation.</param>
/// <param name="Validation">Figures on the validation split.</param>
/// <param name="Epochs">Epochs run (early stopping may end before the maximum).</param>
/// <param name="WindowsPerEpoch">Training windows per epoch.</param>
public sealed record TrainingResult(LstmForecaster Network, Calibration Calibration, ValidationSummary Validation, int Epochs, int WindowsPerEpoch)
{
    /// <summary>With <c>Model:Features</c> <c>auto</c>: the feature set kept and why (null when the set was given).</summary>
    public string? FeatureChoice { get; init; }
}
