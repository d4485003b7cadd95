using System.Text;
using Ferry.Cli.Infrastructure;
using Ferry.Connections;
using Ferry.Protocol;

namespace Ferry.Cli.Commands.Chat;

/// <summary>
/// <c>ferry chat</c> without a terminal: <c>--send</c> one message, or each standard-input line as a message;
/// events print as they arrive (text or <c>--json</c>), for <c>--wait</c> seconds after the sending is done.
/// </summary>
internal static class ChatScripted
{
    public static async Task<int> RunAsync(CliContext cli, IChatLink link, ChatRunOptions options, CancellationToken ct)
    {
        var formatter = new ChatEventFormatter(colour: cli.StdOutIsTerminal && !options.Json);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // A bare --send only sends; it prints what arrives when asked to --wait.
        bool print = options.Send is null || options.Wait is not null;
        var printer = PrintAsync(cli, link, formatter, options.Json, print, stop.Token);

        if (options.Send is { } text)
        {
            await link.SayAsync(text, ct).ConfigureAwait(false);
        }
        else if (!cli.StdInIsTerminal)
        {
            using var reader = new StreamReader(cli.StdIn, Encoding.UTF8);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0) continue;
                if (line.StartsWith('/'))
                {
                    var (name, argument) = ChatCommand.ParseCommand(line);
                    var lines = await link.RunCommandAsync(name, argument, ct).ConfigureAwait(false);
                    if (lines is null) break;
                    foreach (var output in lines) cli.Error.WriteLine(output);
                    continue;
                }
                await link.SayAsync(line, ct).ConfigureAwait(false);
            }
        }
        if (options.Wait is { } seconds)
        {
            await Task.WhenAny(printer, Task.Delay(TimeSpan.FromSeconds(seconds), ct)).ConfigureAwait(false);
        }
        if (printer.IsCompleted) return await printer.ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await ((Task)printer).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return ExitCodes.Ok;
    }

    private static async Task<int> PrintAsync(CliContext cli, IChatLink link, ChatEventFormatter formatter, bool json, bool print, CancellationToken ct)
    {
        try
        {
            await foreach (var e in link.ReadEventsAsync(ct).ConfigureAwait(false))
            {
                if (!print) continue;
                await cli.Out.WriteLineAsync(json ? ChatEventFormatter.Json(e) : formatter.Format(e)).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is ConnectionClosedException or FerryException)
        {
            cli.Error.WriteLine($"ferry: chat ended: {ex.Message}");
            return ExitCodes.Error;
        }
    }
}
