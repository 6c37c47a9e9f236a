namespace StreamLstm.Model;

/// <summary>
/// What validation taught about a trained network, per horizon (index 0 is one tick ahead): how far to trust its
/// point forecast (<see cref="Shrink"/>: 0 is the last price, 1 the network's median) and how much to widen or narrow
/// its quantile band so that 80% of validation actuals fall inside (<see cref="IntervalScale"/>).
/// </summary>
public sealed record Calibration(double[] Shrink, double[] IntervalScale)
{
    /// <summary>No adjustment: the network's own median and 10%-90% band.</summary>
    public static Calibration Identity(int horizons) =>
        new(Enumerable.Repeat(1.0, horizons).ToArray(), Enumerable.Repeat(1.0, horizons).ToArray());
}
