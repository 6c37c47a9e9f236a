using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamLstm.Telemetry;

namespace StreamLstm.Ingest;

/// <summary>
/// librdkafka's log and error callbacks through <see cref="ILogger"/>, levels mapped, each kind of line at most once per
/// <see cref="Interval"/> with the count of those held back (a broker that is down repeats the same lines every second).
/// </summary>
public sealed partial class KafkaLog(ILogger logger)
{
    /// <summary>Least time between two lines of the same kind.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private readonly LogRateLimit _limit = new(Interval);

    /// <summary>The <see cref="LogLevel"/> of a librdkafka syslog level.</summary>
    public static LogLevel Level(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    /// <summary>For <c>SetLogHandler</c>: librdkafka's own line (<c>%3|...|FAIL|rdkafka#producer-2| ...</c> otherwise on standard error).</summary>
    public void Log(LogMessage message)
    {
        var level = Level(message.Level);
        if (!logger.IsEnabled(level) || !_limit.ShouldLog("log:" + message.Facility, out long suppressed)) return;
        LogLibrdkafka(logger, level, message.Name, message.Facility, message.Message, suppressed);
    }

    /// <summary>For <c>SetErrorHandler</c>, and errors caught from calls: a warning, or an error when fatal.</summary>
    public void Error(Error error)
    {
        if (!_limit.ShouldLog("error:" + error.Code, out long suppressed)) return;
        LogError(logger, error.IsFatal ? LogLevel.Error : LogLevel.Warning, error.Code.ToString(), error.Reason, error.IsFatal, suppressed);
    }

    [LoggerMessage(Message = "librdkafka {Client} {Facility}: {Message} ({Suppressed} similar lines suppressed since the last)")]
    private static partial void LogLibrdkafka(ILogger logger, LogLevel level, string client, string facility, string message, long suppressed);

    [LoggerMessage(Message = "Kafka: {Code} {Reason} (fatal: {Fatal}; {Suppressed} similar errors suppressed since the last)")]
    private static partial void LogError(ILogger logger, LogLevel level, string code, string reason, bool fatal, long suppressed);
}
