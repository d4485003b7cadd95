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
        var stdout = OpenRaw(1, System.Console.OpenStandardOutput);
        bool stdoutIsTerminal = !System.Console.IsOutputRedirected;
        var outWriter = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 4096, leaveOpen: true) { AutoFlush = true };
        return new CliContext
        {
            Out = outWriter,
            Error = System.Console.Error,
            StdOut = stdout,
            StdErr = OpenRaw(2, System.Console.OpenStandardError),
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

    // Console streams silently drop writes once the reader has gone (EPIPE), so 'ferry exec host -- yes | head' would
    // run forever. For pipes and terminals, a plain unbuffered stream on the descriptor reports the broken pipe as an
    // IOException instead. Regular files keep the console stream: FileStream would write at its own offset, not the fd's.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The handle does not own the descriptor (ownsHandle: false) and belongs to the stream returned, or is disposed with it.")]
    private static Stream OpenRaw(int fd, Func<Stream> fallback)
    {
        if (OperatingSystem.IsWindows()) return fallback();
        var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (!stream.CanSeek) return stream;
        stream.Dispose();
        return fallback();
    }
}
