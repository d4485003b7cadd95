using Ferry.Client;
using Ferry.Contracts.Chat;

namespace Ferry.Cli.Commands.Chat;

/// <summary>Rooms over the main port: a <see cref="ChatSession"/> on a <see cref="FerryClient"/>.</summary>
internal sealed class TcpChatLink(FerryClient client, ChatSession session, ChatJoinReply joined) : IChatLink
{
    public const string Help = "/nick NAME · /join ROOM · /who · /rooms · /msg NICK TEXT · /quit";

    public string Greeting =>
        $"Joined {joined.Room} as {session.Nick} ({joined.Members.Length} here: {string.Join(", ", joined.Members.Select(ChatText.StripControls))}). " +
        $"Commands: {Help}";

    public bool EchoesOwnMessages => true;

    public string Nick => session.Nick;

    public IAsyncEnumerable<ChatEvent> ReadEventsAsync(CancellationToken cancellationToken) => session.ReadEventsAsync(cancellationToken);

    public Task SayAsync(string text, CancellationToken cancellationToken) => session.SayAsync(text, cancellationToken);

    public async Task<IReadOnlyList<string>?> RunCommandAsync(string name, string argument, CancellationToken cancellationToken)
    {
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
        await session.DisposeAsync().ConfigureAwait(false);
        await client.DisposeAsync().ConfigureAwait(false);
    }
}
