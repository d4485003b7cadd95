using System.Net.Sockets;
using Ferry.Client;
using Ferry.Connections;
using Ferry.Protocol;

namespace Ferry.Cli.Infrastructure;

/// <summary>The one error path: an exception becomes one line on stderr (stack only with --verbose) and an exit code.</summary>
internal static class CliErrorHandler
{
    public static int Handle(Exception ex, CliContext cli, bool verbose)
    {
        var (code, message) = Classify(ex);
        cli.Error.WriteLine($"ferry: {message}");
        if (verbose) cli.Error.WriteLine(ex.ToString());
        return code;
    }

    public static (int Code, string Message) Classify(Exception ex) => ex switch
    {
        CliUsageException usage => (ExitCodes.Usage, usage.Message),
        FerryConnectException connect => (ExitCodes.CannotConnect, connect.Message),
        FerryException { Error: ProtocolError.AuthFailed or ProtocolError.Forbidden or ProtocolError.Unauthenticated } auth => (ExitCodes.AuthFailed, auth.Message),
        FerryException { Error: ProtocolError.Timeout } timeout => (ExitCodes.Timeout, timeout.Message),
        FerryException remote => (ExitCodes.RemoteError, $"{ServerWords.ForCli(remote.Message)} [{remote.Code}]"),
        ConnectionClosedException closed => (ExitCodes.Error, closed.Message),
        OperationCanceledException => (ExitCodes.Interrupted, "interrupted"),
        IOException io when io.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
            => (ExitCodes.Error, $"cannot listen on {BindAddress(io.Message)}: the address is already in use (another server?); stop it or pick another port with --listen"),
        UnauthorizedAccessException denied => (ExitCodes.Error, $"permission denied: {denied.Message}"),
        _ => (ExitCodes.Error, FirstLine(ex.Message)),
    };

    // Kestrel says "Failed to bind to address http://127.0.0.1:7070: ..."; the scheme is Kestrel's, not ours.
    private static string BindAddress(string message)
    {
        var match = System.Text.RegularExpressions.Regex.Match(message, @"address (?:\w+://)?(\S+?):? address already", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return match.Success ? match.Groups[1].Value : "that address";
    }

    private static string FirstLine(string message)
    {
        int newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}

/// <summary>Bad arguments found after parsing (exit code 2).</summary>
internal sealed class CliUsageException(string message) : Exception(message);
