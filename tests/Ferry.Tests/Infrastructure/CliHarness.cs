using System.Text;
using Ferry.Cli;
using Ferry.Cli.Infrastructure;
using Spectre.Console;

namespace Ferry.Tests.Infrastructure;

/// <summary>Runs the ferry command in-process with captured standard streams (no terminal).</summary>
public static class CliHarness
{
    public sealed record Result(int ExitCode, byte[] StdOutBytes, string StdErr)
    {
        public string StdOut => Encoding.UTF8.GetString(StdOutBytes);
    }

    public static async Task<Result> RunAsync(string[] args, byte[]? stdin = null, CancellationToken cancellationToken = default)
    {
        var stdout = new MemoryStream();
        var (code, stderr) = await RunAsync(args, new MemoryStream(stdin ?? []), stdout, cancellationToken);
        return new Result(code, stdout.ToArray(), stderr);
    }

    /// <summary>Runs it with <paramref name="stdin"/> and <paramref name="stdout"/> as given (say, a pipe nobody reads); returns the exit code and stderr.</summary>
    public static async Task<(int ExitCode, string StdErr)> RunAsync(string[] args, Stream stdin, Stream stdout, CancellationToken cancellationToken = default)
    {
        var outWriter = new StreamWriter(stdout, new UTF8Encoding(false), 1024, leaveOpen: true) { AutoFlush = true };
        var stderr = new StringWriter();
        var context = new CliContext
        {
            Out = outWriter,
            Error = stderr,
            StdOut = stdout,
            StdIn = stdin,
            Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(outWriter),
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
            }),
        };
        int code = await Program.RunAsync(args, context, cancellationToken);
        await outWriter.FlushAsync(CancellationToken.None); // the command may have been cancelled; its output still counts
        return (code, stderr.ToString());
    }
}
