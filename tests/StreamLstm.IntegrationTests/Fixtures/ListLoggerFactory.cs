using Microsoft.Extensions.Logging;

namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>Loggers that keep every entry of every category in one list, to assert on what the worker logged.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory, ILogger
{
    private readonly Lock _gate = new();
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_gate) return [.. _entries];
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_gate) _entries.Add((logLevel, formatter(state, exception)));
    }

    public void Dispose()
    {
    }
}
