using Ferry.Client;

namespace Ferry.Cli.Commands.Chat;

/// <summary>The UDP chat: one signed datagram per message through the relay; nothing is acknowledged.</summary>
internal sealed class UdpChatLink(UdpChatClient client, string relay) : IChatLink
{
    public string Greeting =>
        $"UDP chat in {client.Room} as {client.Nick} via {relay}. Messages may be lost or arrive out of order. Commands: /quit";

    public bool EchoesOwnMessages => false;

    public string Nick => client.Nick;

    public IAsyncEnumerable<ChatEvent> ReadEventsAsync(CancellationToken cancellationToken) => client.ReadEventsAsync(cancellationToken);

    public Task SayAsync(string text, CancellationToken cancellationToken) => client.SayAsync(text, cancellationToken);

    public Task<IReadOnlyList<string>?> RunCommandAsync(string name, string argument, CancellationToken cancellationToken) => name switch
    {
        "quit" or "exit" or "q" => Task.FromResult<IReadOnlyList<string>?>(null),
        "help" => Task.FromResult<IReadOnlyList<string>?>(["UDP chat commands: /quit (rooms and nicks are fixed by --room and --nick)"]),
        _ => throw new ArgumentException($"/{name} is not available in the UDP chat; it knows /quit only"),
    };

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.LeaveAsync(quick.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            // Best effort; the relay forgets silent members anyway.
        }
        await client.DisposeAsync().ConfigureAwait(false);
    }
}
