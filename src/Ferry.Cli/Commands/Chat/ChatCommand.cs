using System.CommandLine;
using System.Text;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Datagrams;
using Ferry.Protocol;
using Ferry.Server;

namespace Ferry.Cli.Commands.Chat;

/// <summary><c>ferry chat</c>: rooms over the main port, or the UDP chat with <c>--udp</c>.</summary>
internal static class ChatCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var target = new Argument<string?>("TARGET")
        {
            Description = "The server: host[:port] (default port 7070), [v6addr]:port, or unix:PATH. Not needed with --udp",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var room = new Option<string>("--room") { Description = "Room to join", DefaultValueFactory = _ => "lobby", HelpName = "NAME" };
        var nick = new Option<string?>("--nick") { Description = "Your nick (unique on the server). Default: your login name", HelpName = "NAME" };
        var send = new Option<string?>("--send") { Description = "Send this one message and exit (add --wait to see replies)", HelpName = "TEXT" };
        var wait = new Option<double?>("--wait") { Description = "Print what arrives for SECONDS, then exit" + Durations.Hint, CustomParser = Durations.ParseOptionalSeconds, HelpName = "SECONDS" };
        var json = CommonOptions.Json();
        json.Description = "Print one JSON object per event (kind, room, from, to, nick, time, seq, history, reason, text)";
        var udp = new Option<string?>("--udp")
        {
            HelpName = "HOST:PORT",
            Description = "Use the UDP chat relay at HOST:PORT (ferry serve --udp-chat PORT) instead of rooms on the main port. " +
                "UDP may lose or reorder messages; each message must fit one datagram (1200 bytes)",
        };
        var command = new Command("chat",
            "Chat in rooms: everyone in the room sees each message with time and sender; joins, leaves and nick changes are announced.\n" +
            "On a terminal you type while messages arrive above your line. Commands: " + TcpChatLink.Help + ".\n" +
            "Without a terminal each line of standard input is sent as a message (lines starting with / are commands).\n" +
            "The UDP chat (--udp) sends each message as one signed datagram: it may be lost or arrive out of order.")
        {
            target, room, nick, send, wait, json, udp,
        };
        connect.AddTo(command, withTarget: false);
        command.SetAction(async (result, ct) =>
        {
            var seconds = result.GetValue(wait);
            if (seconds is < 0) throw new CliUsageException("--wait must be 0 or more seconds");
            var nickName = result.GetValue(nick) ?? DefaultNick();
            await using var link = result.GetValue(udp) is { } relay
                ? await JoinUdpAsync(relay, result.GetValue(connect.KeyFile) ?? Environment.GetEnvironmentVariable("FERRY_KEY_FILE"), result.GetValue(room)!, nickName, ct).ConfigureAwait(false)
                : await JoinTcpAsync(connect, result, result.GetValue(target), result.GetValue(room)!, nickName, ct).ConfigureAwait(false);
            var options = new ChatRunOptions(result.GetValue(send), seconds, result.GetValue(json));
            bool interactive = cli.StdInIsTerminal && cli.StdOutIsTerminal && options.Send is null && options.Wait is null && !options.Json;
            return interactive
                ? await ChatInteractive.RunAsync(cli, link, ct).ConfigureAwait(false)
                : await ChatScripted.RunAsync(cli, link, options, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<IChatLink> JoinTcpAsync(ClientFactory connect, ParseResult result, string? target, string room, string nick, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(target)) throw new CliUsageException("give the server to chat on: ferry chat HOST[:PORT] (or --udp HOST:PORT for the UDP chat)");
        var options = connect.Options(result, target);
        var client = await FerryClient.ConnectAsync(options, ct).ConfigureAwait(false);
        try
        {
            var session = await client.JoinChatAsync(room, nick, cancellationToken: ct).ConfigureAwait(false);
            var who = await session.WhoAsync(cancellationToken: ct).ConfigureAwait(false);
            return new TcpChatLink(token => FerryClient.ConnectAsync(options, token), client, session, new Contracts.Chat.ChatJoinReply { Room = session.Room ?? room, Nick = session.Nick, Members = who });
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<IChatLink> JoinUdpAsync(string relay, string? keyFile, string room, string nick, CancellationToken ct)
    {
        var endPoint = EndPointParser.Parse(relay, System.Net.IPAddress.Loopback, "--udp");
        var path = keyFile ?? Path.Combine(FerryPaths.DefaultHome(), "key");
        byte[] key;
        try
        {
            key = Ferry.Security.SharedKey.SharedKeyFile.Load(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new CliUsageException(ex.Message);
        }
        Contracts.Chat.ChatText.ValidateName(room, "room", 64);
        Contracts.Chat.ChatText.ValidateName(nick, "nick", 32);
        var client = await UdpChatClient.JoinAsync(endPoint, key, room, nick, cancellationToken: ct).ConfigureAwait(false);
        return new UdpChatLink(client, endPoint.ToString());
    }

    /// <summary>The login name, reduced to the characters nicks allow.</summary>
    internal static string DefaultNick()
    {
        var name = new StringBuilder();
        foreach (char c in Environment.UserName)
        {
            if (char.IsLetterOrDigit(c) || c is '_' or '-' or '.') name.Append(c);
        }
        return name.Length == 0 ? "guest" : name.ToString(0, Math.Min(32, name.Length));
    }

    /// <summary>Splits <c>/name argument</c>.</summary>
    internal static (string Name, string Argument) ParseCommand(string line)
    {
        var body = line[1..].Trim();
        int space = body.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (body.ToLowerInvariant(), "") : (body[..space].ToLowerInvariant(), body[(space + 1)..].Trim());
    }

    internal static bool IsUserError(Exception ex) => ex is FerryException and not ProtocolException || ex is ArgumentException;
}

/// <summary>How a non-interactive chat runs.</summary>
internal sealed record ChatRunOptions(string? Send, double? Wait, bool Json);
