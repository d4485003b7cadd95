using System.Text;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli.Commands.Exec;

/// <summary>Where remote output lands: the CLI's raw stdout and stderr, written byte for byte and awaited (back-pressure).</summary>
internal static class RemoteOutput
{
    public static Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> StdOut(CliContext cli) => async (data, ct) =>
    {
        try
        {
            await cli.StdOut.WriteAsync(data, ct).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new LocalOutputClosedException(ex);
        }
    };

    /// <summary>
    /// For a terminal session: each chunk written synchronously on the thread that received it (the connection's read
    /// loop). The raw stdout is a synchronous descriptor, whose WriteAsync would hand every echoed keystroke to the
    /// thread pool first; blocking the read loop while the terminal is slow is the back-pressure wanted anyway.
    /// </summary>
    public static Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> StdOutNow(CliContext cli) => (data, _) =>
    {
        try
        {
            cli.StdOut.Write(data.Span);
            return ValueTask.CompletedTask;
        }
        catch (IOException ex)
        {
            return ValueTask.FromException(new LocalOutputClosedException(ex));
        }
    };

    public static Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> StdErr(CliContext cli)
    {
        if (cli.StdErr is { } raw) return raw.WriteAsync;
        // Only when the context has no raw stream (tests): decode, which is exact for text.
        return (data, _) =>
        {
            cli.Error.Write(Encoding.UTF8.GetString(data.Span));
            return ValueTask.CompletedTask;
        };
    }
}

/// <summary>Our own standard output was closed by its reader (EPIPE) while remote output was still arriving.</summary>
internal sealed class LocalOutputClosedException(IOException inner) : Exception("standard output was closed", inner);

