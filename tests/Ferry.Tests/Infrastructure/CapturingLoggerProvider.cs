using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ferry.Tests.Infrastructure;

/// <summary>Keeps every log line a server writes, for tests that check what is (and is not) logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _exceptions = new();

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Each logged exception as a console logger prints it (<see cref="Exception.ToString"/>), after its line.</summary>
    public IReadOnlyCollection<string> Exceptions => _exceptions;

    public string All => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
            if (exception is not null) owner._exceptions.Enqueue(exception.ToString());
        }
    }
}
