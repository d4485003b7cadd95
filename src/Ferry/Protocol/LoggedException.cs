using System.Text;

namespace Ferry.Protocol;

/// <summary>
/// An exception as it may be logged: its message (and those of its inner exceptions) escaped with
/// <see cref="LogText.Escape"/>, because a message can quote what a peer sent (a path, a user name, a type) and a
/// logger prints <see cref="Exception.ToString"/> raw. The stack trace is the original's (code, not peer text).
/// </summary>
internal sealed class LoggedException : Exception
{
    private const int MaxMessage = 2048;
    private readonly string _text = "";

    public LoggedException()
    {
    }

    public LoggedException(string message)
        : base(LogText.Escape(message, MaxMessage))
    {
        _text = Message;
    }

    public LoggedException(string message, Exception innerException)
        : base(LogText.Escape(message, MaxMessage), innerException)
    {
        _text = Message + " ---> " + Describe(innerException);
    }

    private LoggedException(Exception original, bool _)
        : base(LogText.Escape(original.Message, MaxMessage))
    {
        _text = Describe(original);
    }

    /// <summary>The escaped stand-in for <paramref name="exception"/>, to pass to a logger.</summary>
    public static Exception For(Exception exception) => exception is LoggedException ? exception : new LoggedException(exception, true);

    /// <summary>Type, escaped message, inner exceptions and stack trace, as <see cref="Exception.ToString"/> lays them out.</summary>
    public override string ToString() => _text;

    private static string Describe(Exception exception)
    {
        var text = new StringBuilder();
        text.Append(exception.GetType().FullName).Append(": ").Append(LogText.Escape(exception.Message, MaxMessage));
        if (exception.InnerException is { } inner)
        {
            text.Append(" ---> ").Append(Describe(inner)).Append("\n   --- End of inner exception stack trace ---");
        }
        if (exception.StackTrace is { } stack) text.Append('\n').Append(stack);
        return text.ToString();
    }
}
