using StreamLstm.Model;

namespace StreamLstm.Learning;

/// <summary>A trained network with its calibration and what validation measured.</summary>
/// <param name="Network">The network with the weights of the best validation epoch.</param>
/// <param name="Calibration">Point shrinkage and interval scale per horizon, fitted on validation.</param>
/// <param name="Validation">Figures on the validation split.</param>
/// <param name="Epochs">Epochs run (early stopping may end before the maximum).</param>
/// <param name="WindowsPerEpoch">Training windows per epoch.</param>
public sealed record TrainingResult(LstmForecaster Network, Calibration Calibration, ValidationSummary Validation, int Epochs, int WindowsPerEpoch);

/// <summary>Figures on the validation split, per horizon (index 0 is one tick ahead), after calibration.</summary>
/// <param name="Loss">Best validation pinball loss.</param>
/// <param name="Points">Validation forecasts scored at horizon 1.</param>
/// <param name="RelMae">MAE of the calibrated point forecast over the naive last-price forecast's MAE.</param>
/// <param name="Coverage80">Share of actuals inside the calibrated 80% interval.</param>
public sealed record ValidationSummary(double Loss, int Points, double[] RelMae, double[] Coverage80);
