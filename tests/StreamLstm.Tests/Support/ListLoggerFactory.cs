using Microsoft.Extensions.Logging;

namespace StreamLstm.Tests.Support;

/// <summary>
/// A logger factory whose loggers, of every category, keep what they log, formatted, in one list (also compiled into
/// the integration tests).
/// </summary>
internal sealed class ListLoggerFactory : ILoggerFactory, ILogger
{
    private readonly Lock _gate = new();
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    /// <summary>What was logged so far, in order (a copy: the code under test may log on other threads meanwhile).</summary>
    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_gate) return [.. _entries];
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) { }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_gate) _entries.Add((logLevel, formatter(state, exception)));
    }

    public void Dispose() { }
}
