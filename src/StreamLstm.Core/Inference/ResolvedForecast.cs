namespace StreamLstm.Inference;

/// <summary>A forecast whose actual price arrived: what the <c>forecast_error</c> point records.</summary>
/// <param name="AbsError">Absolute error of the point forecast that was served.</param>
/// <param name="NaiveAbsError">Absolute error of the naive last-price forecast made at the same tick.</param>
/// <param name="Covered">Whether the actual fell inside the served 80% interval.</param>
/// <param name="ServedBy">The <c>model</c> tag of the forecast when it was served: a version, or <c>naive</c>.</param>
/// <param name="ModelAbsError">Absolute error of the model's own point forecast (before the skill gate).</param>
/// <param name="Point">The point forecast that was served.</param>
/// <param name="Lower">Lower bound of the served 80% interval.</param>
/// <param name="Upper">Upper bound of the served 80% interval.</param>
public readonly record struct ResolvedForecast(double AbsError, double NaiveAbsError, bool Covered, string ServedBy, double ModelAbsError,
    double Point, double Lower, double Upper);
