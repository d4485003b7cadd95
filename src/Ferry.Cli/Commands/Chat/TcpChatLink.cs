using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Ferry.Client;
using Ferry.Connections;
using Ferry.Contracts.Chat;
using Ferry.Protocol;

namespace Ferry.Cli.Commands.Chat;

/// <summary>
/// Rooms over the main port: a <see cref="ChatSession"/> on a <see cref="FerryClient"/>. When the connection drops
/// it reconnects by itself (backing off up to <see cref="MaxBackoff"/>, for at most <see cref="GiveUpAfter"/>) and
/// resumes the room from the last seq it received (protocol.md, chat resume): the messages missed meanwhile arrive
/// as history, or a notice says why that was impossible.
/// </summary>
internal sealed class TcpChatLink(Func<CancellationToken, Task<FerryClient>> connect, FerryClient client, ChatSession session, ChatJoinReply joined) : IChatLink
{
    public const string Help = "/nick NAME · /join ROOM · /who · /rooms · /msg NICK TEXT · /quit";

    internal static TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    internal static TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromMinutes(5);

    private FerryClient _client = client;
    private ChatSession _session = session;

    public string Greeting =>
        $"Joined {joined.Room} as {_session.Nick} ({joined.Members.Length} here: {string.Join(", ", joined.Members.Select(ChatText.StripControls))}). " +
        $"Commands: {Help}";

    public bool EchoesOwnMessages => true;

    public string Nick => _session.Nick;

    public async IAsyncEnumerable<ChatEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            Exception? lost = null;
            var events = _session.ReadEventsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    try
                    {
                        if (!await events.MoveNextAsync().ConfigureAwait(false)) break;
                    }
                    catch (Exception ex) when (IsConnectionLoss(ex) && !cancellationToken.IsCancellationRequested)
                    {
                        lost = ex;
                        break;
                    }
                    yield return events.Current;
                }
            }
            finally
            {
                await events.DisposeAsync().ConfigureAwait(false);
            }
            if (lost is null) yield break; // the session ended on purpose (/quit)
            var room = _session.Room ?? joined.Room;
            yield return Notice(room, $"connection lost ({ServerWordsFor(lost)}); reconnecting and resuming {room} from message {_session.LastSeq}...");
            var reply = await ReconnectAsync(lost, cancellationToken).ConfigureAwait(false);
            yield return Notice(room, reply.Resumed
                ? $"reconnected: resumed {reply.Room}, {reply.History} missed message(s) follow"
                : reply.Reset is { } reset
                    ? $"reconnected to {reply.Room}, but could not resume ({reset}): the recent history follows, some messages may be missing"
                    : $"reconnected to {reply.Room}");
        }
    }

    private async Task<ChatJoinReply> ReconnectAsync(Exception lost, CancellationToken cancellationToken)
    {
        var resume = _session.ResumeRequest;
        var delay = TimeSpan.FromMilliseconds(250);
        var deadline = DateTimeOffset.UtcNow + GiveUpAfter;
        while (true)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
            FerryClient? fresh = null;
            try
            {
                fresh = await connect(cancellationToken).ConfigureAwait(false);
                var (session, reply) = await fresh.JoinChatAsync(resume, cancellationToken: cancellationToken).ConfigureAwait(false);
                var old = _client;
                await _session.DisposeAsync().ConfigureAwait(false);
                await old.DisposeAsync().ConfigureAwait(false);
                (_client, _session) = (fresh, session);
                return reply;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (IsConnectionLoss(ex) || ex is TimeoutException)
                && !(ex is FerryException { Error: ProtocolError.AuthFailed or ProtocolError.Forbidden }))
            {
                if (fresh is not null) await fresh.DisposeAsync().ConfigureAwait(false);
                // The nick may still be held by our old connection until the server notices it is gone: try again.
                if (DateTimeOffset.UtcNow > deadline) throw new ConnectionClosedException($"gave up reconnecting after {GiveUpAfter.TotalMinutes:0.#} min: {ex.Message} (first: {lost.Message})", CloseReason.PeerClosed, ex);
            }
        }
    }

    private static bool IsConnectionLoss(Exception ex) => ex is ConnectionClosedException or FerryException or IOException or SocketException;

    private static string ServerWordsFor(Exception ex) => Infrastructure.ServerWords.ForCli(ex.Message);

    private static ChatEvent Notice(string room, string text) => new("notice", room, null, DateTimeOffset.Now, text);

    public async Task SayAsync(string text, CancellationToken cancellationToken)
    {
        try
        {
            await _session.SayAsync(text, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionClosedException or IOException or SocketException)
        {
            throw new FerryException(ProtocolError.Busy, "not connected (reconnecting); the message was not sent, send it again in a moment");
        }
    }

    public async Task<IReadOnlyList<string>?> RunCommandAsync(string name, string argument, CancellationToken cancellationToken)
    {
        var session = _session;
        switch (name)
        {
            case "quit" or "exit" or "q":
                return null;
            case "nick":
                RequireArgument(argument, "/nick NAME");
                return [$"you are now {await session.SetNickAsync(argument, cancellationToken).ConfigureAwait(false)}"];
            case "join":
                RequireArgument(argument, "/join ROOM");
                var reply = await session.JoinAsync(argument, null, cancellationToken).ConfigureAwait(false);
                return [$"joined {reply.Room} ({reply.Members.Length} here)"];
            case "who":
                var members = await session.WhoAsync(argument.Length == 0 ? null : argument, cancellationToken).ConfigureAwait(false);
                return [$"in {(argument.Length == 0 ? session.Room : argument)}: {string.Join(", ", members.Select(ChatText.StripControls))}"];
            case "rooms":
                var rooms = await session.RoomsAsync(cancellationToken).ConfigureAwait(false);
                return rooms.Length == 0 ? ["no rooms"] : [.. rooms.Select(r => $"{ChatText.StripControls(r.Name)} ({r.Members})")];
            case "msg":
                int space = argument.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0 || space == argument.Length - 1) throw new ArgumentException("usage: /msg NICK TEXT");
                var to = argument[..space];
                await session.MsgAsync(to, argument[(space + 1)..], cancellationToken).ConfigureAwait(false);
                return [$"-> *{to}* {argument[(space + 1)..]}"];
            case "help":
                return [Help];
            default:
                throw new ArgumentException($"unknown command /{name}; try {Help}");
        }
    }

    private static void RequireArgument(string argument, string usage)
    {
        if (argument.Length == 0) throw new ArgumentException($"usage: {usage}");
    }

    public async ValueTask DisposeAsync()
    {
        await _session.DisposeAsync().ConfigureAwait(false);
        await _client.DisposeAsync().ConfigureAwait(false);
    }
}
