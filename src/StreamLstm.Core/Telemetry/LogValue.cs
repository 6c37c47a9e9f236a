namespace StreamLstm.Telemetry;

/// <summary>Values made safe for structured logs.</summary>
public static class LogValue
{
    /// <summary>
    /// The value, or null when it is not finite (a score of nothing): the JSON console formatter throws on NaN and
    /// infinities, which would turn a log line into a crash.
    /// </summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
