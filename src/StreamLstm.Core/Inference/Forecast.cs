namespace StreamLstm.Inference;

/// <summary>A forecast made at one tick for horizons 1..H ticks ahead, in price units (index 0 is one tick ahead).</summary>
/// <param name="Point">The point forecast.</param>
/// <param name="Lower">Lower bound of the central 80% prediction interval.</param>
/// <param name="Upper">Upper bound of the central 80% prediction interval.</param>
public sealed record Forecast(double[] Point, double[] Lower, double[] Upper)
{
    /// <summary>Number of horizons.</summary>
    public int Horizons => Point.Length;
}
