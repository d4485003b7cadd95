using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ferry.Tests.Infrastructure;

/// <summary>Keeps every log line a server writes, for tests that check what is (and is not) logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _exceptions = new();
    private readonly ConcurrentQueue<(string Line, string Scopes)> _scoped = new();
    private readonly AsyncLocal<ScopeFrame?> _scope = new();

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Each logged exception as a console logger prints it (<see cref="Exception.ToString"/>), after its line.</summary>
    public IReadOnlyCollection<string> Exceptions => _exceptions;

    public string All => string.Join('\n', _lines);

    /// <summary>Each line with the scopes open when it was written (outermost first, as <c>IncludeScopes</c> prints them).</summary>
    public IReadOnlyCollection<(string Line, string Scopes)> Scoped => _scoped;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            var frame = new ScopeFrame(owner, state, owner._scope.Value);
            owner._scope.Value = frame;
            return frame;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}: {formatter(state, exception)}";
            owner._lines.Enqueue(line);
            owner._scoped.Enqueue((line, ScopeFrame.Describe(owner._scope.Value)));
            if (exception is not null) owner._exceptions.Enqueue(exception.ToString());
        }
    }

    /// <summary>One open scope; the chain of them flows with the async context, as a real provider's does.</summary>
    private sealed class ScopeFrame(CapturingLoggerProvider owner, object state, ScopeFrame? parent) : IDisposable
    {
        public static string Describe(ScopeFrame? innermost)
        {
            var parts = new List<string>();
            for (var frame = innermost; frame is not null; frame = frame.Parent) parts.Insert(0, frame.State.ToString() ?? "");
            return string.Join(" => ", parts);
        }

        public object State { get; } = state;

        public ScopeFrame? Parent { get; } = parent;

        public void Dispose() => owner._scope.Value = Parent;
    }
}
