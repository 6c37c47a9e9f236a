namespace StreamLstm.Inference;

/// <summary>A forecast made at one tick for horizons 1..H ticks ahead, in price units (index 0 is one tick ahead).</summary>
/// <param name="Point">The point forecast served.</param>
/// <param name="Lower">Lower bound of the central 80% prediction interval.</param>
/// <param name="Upper">Upper bound of the central 80% prediction interval.</param>
public sealed record Forecast(double[] Point, double[] Lower, double[] Upper)
{
    /// <summary>Number of horizons.</summary>
    public int Horizons => Point.Length;

    /// <summary>Per horizon, whether the point served is the naive last price (the skill gate was closed).</summary>
    public bool[] Naive { get; init; } = new bool[Point.Length];

    /// <summary>Per horizon, the model's own point forecast (equal to <see cref="Point"/> unless the gate served naive).</summary>
    public double[] ModelPoint { get; init; } = (double[])Point.Clone();

    /// <summary>An empty forecast for <paramref name="horizons"/> horizons, to be filled (the hot path reuses them).</summary>
    public static Forecast Empty(int horizons) => new(new double[horizons], new double[horizons], new double[horizons]);

    /// <summary>A copy that owns its arrays, for keeping a forecast the hot path will reuse.</summary>
    public Forecast Snapshot() => new((double[])Point.Clone(), (double[])Lower.Clone(), (double[])Upper.Clone())
    {
        Naive = (bool[])Naive.Clone(),
        ModelPoint = (double[])ModelPoint.Clone(),
    };
}
