using StreamLstm.Model;

namespace StreamLstm.Inference;

/// <summary>
/// Turns the network's raw outputs for one step (normalized moves) into price forecasts, applying the model's
/// calibration: point = P * exp(shrink * m * s), bounds = P * exp((m -/+ k * spread) * s), s = sigma * sqrt(h), where k is
/// the calibrated interval scale times the symbol's online adjustment (<see cref="ForecastTracker"/>), when given.
/// </summary>
public static class ForecastDecoder
{
    /// <summary>Decodes into <paramref name="forecast"/> (reused by the hot path): model point, bounds, gate flags cleared.</summary>
    public static Forecast DecodeInto(Forecast forecast, ReadOnlySpan<float> raw, double price, double sigma, Calibration calibration, ForecastTracker? tracker = null)
    {
        Decode(raw, price, sigma, calibration, forecast.ModelPoint, forecast.Lower, forecast.Upper, tracker);
        forecast.ModelPoint.CopyTo(forecast.Point, 0);
        Array.Clear(forecast.Naive);
        return forecast;
    }

    /// <summary>Decodes into caller-owned spans (no allocation).</summary>
    public static void Decode(ReadOnlySpan<float> raw, double price, double sigma, Calibration calibration,
        Span<double> point, Span<double> lower, Span<double> upper, ForecastTracker? tracker = null)
    {
        int horizons = raw.Length / 3;
        for (int h = 0; h < horizons; h++)
        {
            double scale = sigma * Math.Sqrt(h + 1);
            double median = raw[h];
            double k = calibration.IntervalScale[h] * (tracker?.ScaleMultiplier(h) ?? 1.0);
            point[h] = price * Math.Exp(calibration.Shrink[h] * median * scale);
            lower[h] = price * Math.Exp((median - k * Softplus(raw[horizons + h])) * scale);
            upper[h] = price * Math.Exp((median + k * Softplus(raw[2 * horizons + h])) * scale);
        }
    }

    /// <summary>log(1 + e^x), computed without overflow.</summary>
    public static double Softplus(double x) => x > 20 ? x : Math.Log(1 + Math.Exp(x));
}
