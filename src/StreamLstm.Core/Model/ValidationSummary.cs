namespace StreamLstm.Model;

/// <summary>Figures on the validation split, per horizon (index 0 is one tick ahead), after calibration.</summary>
/// <param name="Loss">Best validation pinball loss.</param>
/// <param name="Points">Validation forecasts scored at horizon 1.</param>
/// <param name="RelMae">MAE of the calibrated point forecast over the naive last-price forecast's MAE.</param>
/// <param name="Coverage80">Share of actuals inside the calibrated 80% interval.</param>
public sealed record ValidationSummary(double Loss, int Points, double[] RelMae, double[] Coverage80);
