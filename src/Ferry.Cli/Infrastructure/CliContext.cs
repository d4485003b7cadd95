using Spectre.Console;

namespace Ferry.Cli.Infrastructure;

/// <summary>The console a command talks to; tests substitute their own streams.</summary>
internal sealed class CliContext
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Raw standard output, for bytes that must arrive untouched.</summary>
    public required Stream StdOut { get; init; }

    /// <summary>Raw standard error, for bytes that must arrive untouched; null writes through <see cref="Error"/> instead.</summary>
    public Stream? StdErr { get; init; }

    public required Stream StdIn { get; init; }

    /// <summary>Spectre console for tables, colours and progress (writes to <see cref="Out"/>).</summary>
    public required IAnsiConsole Console { get; init; }

    public bool StdInIsTerminal { get; init; }

    public bool StdOutIsTerminal { get; init; }

    public bool StdErrIsTerminal { get; init; }

    public static CliContext FromProcess()
    {
        var stdout = System.Console.OpenStandardOutput();
        var outWriter = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 4096, leaveOpen: true) { AutoFlush = true };
        return new CliContext
        {
            Out = outWriter,
            Error = System.Console.Error,
            StdOut = stdout,
            StdErr = System.Console.OpenStandardError(),
            StdIn = System.Console.OpenStandardInput(),
            Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(outWriter) }),
            StdInIsTerminal = !System.Console.IsInputRedirected,
            StdOutIsTerminal = !System.Console.IsOutputRedirected,
            StdErrIsTerminal = !System.Console.IsErrorRedirected,
        };
    }
}
