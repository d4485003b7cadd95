using Spectre.Console;

namespace Ferry.Cli.Infrastructure;

/// <summary>The console a command talks to; tests substitute their own streams.</summary>
internal sealed class CliContext
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Raw standard output, for bytes that must arrive untouched.</summary>
    public required Stream StdOut { get; init; }

    public required Stream StdIn { get; init; }

    /// <summary>Spectre console for tables, colours and progress (writes to <see cref="Out"/>).</summary>
    public required IAnsiConsole Console { get; init; }

    public bool StdInIsTerminal { get; init; }

    public bool StdOutIsTerminal { get; init; }

    public bool StdErrIsTerminal { get; init; }

    public static CliContext FromProcess()
    {
        var stdout = System.Console.OpenStandardOutput();
        bool stdoutIsTerminal = !System.Console.IsOutputRedirected;
        var outWriter = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 4096, leaveOpen: true) { AutoFlush = true };
        return new CliContext
        {
            Out = outWriter,
            Error = System.Console.Error,
            StdOut = stdout,
            StdIn = System.Console.OpenStandardInput(),
            // Spectre cannot see through our writer whether stdout is a terminal, so say it: no colour codes in pipes.
            Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(outWriter),
                Ansi = stdoutIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
                ColorSystem = stdoutIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
                Interactive = stdoutIsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
            }),
            StdInIsTerminal = !System.Console.IsInputRedirected,
            StdOutIsTerminal = stdoutIsTerminal,
            StdErrIsTerminal = !System.Console.IsErrorRedirected,
        };
    }
}
