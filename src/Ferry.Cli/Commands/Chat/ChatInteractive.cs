using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Connections;
using Ferry.Protocol;

namespace Ferry.Cli.Commands.Chat;

/// <summary><c>ferry chat</c> on a terminal: messages print above the line being typed, which is never disturbed.</summary>
internal static class ChatInteractive
{
    public static async Task<int> RunAsync(CliContext cli, IChatLink link, CancellationToken ct)
    {
        var formatter = new ChatEventFormatter(colour: true);
        using var editor = new ChatPrompt(cli.Out, "> ");
        editor.WriteAbove(formatter.Notice(link.Greeting));
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(ct);
        int exitCode = ExitCodes.Ok;
        var printer = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in link.ReadEventsAsync(ended.Token).ConfigureAwait(false)) editor.WriteAbove(formatter.Format(e));
            }
            catch (OperationCanceledException) when (ended.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is ConnectionClosedException or FerryException)
            {
                editor.WriteAbove(formatter.Error($"disconnected: {ex.Message}"));
                exitCode = ExitCodes.Error;
            }
            await ended.CancelAsync().ConfigureAwait(false);
        }, CancellationToken.None);

        try
        {
            while (await editor.ReadLineAsync(ended.Token).ConfigureAwait(false) is { } line)
            {
                if (line.Trim().Length == 0) continue;
                try
                {
                    if (line.StartsWith('/') && !line.StartsWith("//", StringComparison.Ordinal))
                    {
                        var (name, argument) = ChatCommand.ParseCommand(line);
                        var lines = await link.RunCommandAsync(name, argument, ended.Token).ConfigureAwait(false);
                        if (lines is null) break;
                        foreach (var output in lines) editor.WriteAbove(formatter.Notice(output));
                        continue;
                    }
                    var text = line.StartsWith("//", StringComparison.Ordinal) ? line[1..] : line;
                    await link.SayAsync(text, ended.Token).ConfigureAwait(false);
                    if (!link.EchoesOwnMessages)
                    {
                        editor.WriteAbove(formatter.Format(new ChatEvent("message", null, link.Nick, DateTimeOffset.Now, text)));
                    }
                }
                catch (Exception ex) when (ChatCommand.IsUserError(ex))
                {
                    editor.WriteAbove(formatter.Error(Infrastructure.ServerWords.ForCli(ex.Message)));
                }
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // The connection ended (reported by the printer) or Ctrl+C.
        }
        await ended.CancelAsync().ConfigureAwait(false);
        await printer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return exitCode;
    }
}
