using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Client;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry echo</c>: send a message, print the server's reply.</summary>
internal static class EchoCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory(cli);
        var message = new Argument<string[]>("MESSAGE")
        {
            Description = "Words to send (joined by spaces). Without any, standard input is sent as one binary-safe message; on a terminal, each line you type is echoed",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var upper = new Option<bool>("--upper", "-u") { Description = "Ask the server to upper-case the reply (ASCII letters only)" };
        var json = CommonOptions.Json();
        json.Description = "Print each reply as one JSON line: reply (text), replyBase64 (exact bytes), bytes, upper, roundTripSeconds";
        var command = new Command("echo", "Send a message to a Ferry server and print its echo");
        connect.AddTo(command);
        command.Add(message);
        command.Add(upper);
        command.Add(json);
        command.SetAction(async (result, ct) =>
        {
            var words = result.GetValue(message) ?? [];
            bool up = result.GetValue(upper);
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            if (result.GetValue(json)) return await JsonAsync(cli, client, words, up, ct).ConfigureAwait(false);
            if (words.Length > 0)
            {
                var reply = await client.EchoAsync(Encoding.UTF8.GetBytes(string.Join(' ', words)), up, ct).ConfigureAwait(false);
                await cli.StdOut.WriteAsync(reply, ct).ConfigureAwait(false);
                await cli.StdOut.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            if (cli.StdInIsTerminal)
            {
                return await InteractiveAsync(cli, client, up, ct).ConfigureAwait(false);
            }
            using var buffer = new MemoryStream();
            await cli.StdIn.CopyToAsync(buffer, ct).ConfigureAwait(false);
            var echoed = await client.EchoAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), up, ct).ConfigureAwait(false);
            await cli.StdOut.WriteAsync(echoed, ct).ConfigureAwait(false);
            await cli.StdOut.FlushAsync(ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    // One JSON line per message: the words, else each stdin line on a terminal, else all of stdin as one message.
    private static async Task<int> JsonAsync(CliContext cli, FerryClient client, string[] words, bool upper, CancellationToken ct)
    {
        async Task EchoOneAsync(ReadOnlyMemory<byte> message)
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var reply = await client.EchoAsync(message, upper, ct).ConfigureAwait(false);
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var report = new EchoReport(Encoding.UTF8.GetString(reply), Convert.ToBase64String(reply), reply.Length, upper, Math.Round(elapsed.TotalSeconds, 6));
            cli.Out.WriteLine(JsonSerializer.Serialize(report, EchoJsonContext.Relaxed.EchoReport));
        }
        if (words.Length > 0)
        {
            await EchoOneAsync(Encoding.UTF8.GetBytes(string.Join(' ', words))).ConfigureAwait(false);
        }
        else if (cli.StdInIsTerminal)
        {
            using var reader = new StreamReader(cli.StdIn, Encoding.UTF8);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (line.Length > 0) await EchoOneAsync(Encoding.UTF8.GetBytes(line)).ConfigureAwait(false);
            }
        }
        else
        {
            using var buffer = new MemoryStream();
            await cli.StdIn.CopyToAsync(buffer, ct).ConfigureAwait(false);
            await EchoOneAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)).ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }

    private static async Task<int> InteractiveAsync(CliContext cli, FerryClient client, bool upper, CancellationToken ct)
    {
        cli.Error.WriteLine($"Connected to {client.Options.Target}. Type a line to echo it; Ctrl+D to quit.");
        using var reader = new StreamReader(cli.StdIn, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0) continue;
            var reply = await client.EchoAsync(Encoding.UTF8.GetBytes(line), upper, ct).ConfigureAwait(false);
            cli.Out.WriteLine(Encoding.UTF8.GetString(reply));
        }
        return ExitCodes.Ok;
    }
}

/// <summary><c>ferry echo --json</c> (docs/cli-json.md): <c>reply</c> is the UTF-8 reading (U+FFFD for invalid bytes); <c>replyBase64</c> is exact.</summary>
internal sealed record EchoReport(string Reply, string ReplyBase64, int Bytes, bool Upper, double RoundTripSeconds);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EchoReport))]
internal sealed partial class EchoJsonContext : JsonSerializerContext
{
    private static EchoJsonContext? s_relaxed;

    // Lazily: the generated Default is set up in another part of this partial class, in no fixed order.
    public static EchoJsonContext Relaxed => s_relaxed ??= new(CliJson.Relaxed(Default));
}
