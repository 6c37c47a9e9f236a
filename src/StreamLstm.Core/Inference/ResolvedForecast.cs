namespace StreamLstm.Inference;

/// <summary>A forecast whose actual price arrived: what the <c>forecast_error</c> point records.</summary>
/// <param name="AbsError">Absolute error of the point forecast that was served.</param>
/// <param name="NaiveAbsError">Absolute error of the naive last-price forecast made at the same tick.</param>
/// <param name="Covered">Whether the actual fell inside the served 80% interval.</param>
/// <param name="Naive">Whether the served point was the naive one (the skill gate was closed).</param>
public readonly record struct ResolvedForecast(double AbsError, double NaiveAbsError, bool Covered, bool Naive);
