namespace StreamLstm.Sink;

/// <summary>One served forecast, as a <c>forecast</c> point carries it, for sinks that publish forecasts elsewhere.</summary>
/// <param name="Symbol">The symbol.</param>
/// <param name="Time">The event time of the tick the forecast was made at.</param>
/// <param name="TimeNs">The <c>forecast</c> point's exact timestamp in epoch nanoseconds (same-time repeats apart).</param>
/// <param name="Horizon">Ticks ahead, from 1.</param>
/// <param name="Value">The served point forecast.</param>
/// <param name="Lower">The 80% interval's lower end.</param>
/// <param name="Upper">The 80% interval's upper end.</param>
/// <param name="Model">The version that served it, or <c>naive</c>.</param>
public readonly record struct ForecastRecord(string Symbol, DateTime Time, long TimeNs, int Horizon, double Value, double Lower, double Upper, string Model);
