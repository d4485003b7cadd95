// A chat bot on the Ferry client library: 'chatbot HOST:PORT KEYFILE [ROOM]' joins ROOM (default lobby) as 'bot',
// answers '!ping' with 'pong' and '!upper TEXT' with TEXT upper-cased, and leaves on '!bye' or Ctrl+C. It logs in
// with the shared key in KEYFILE and trusts the server certificate kept beside it. See docs/library.md.
using Ferry.Client;
using Ferry.Protocol;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: chatbot HOST:PORT KEYFILE [ROOM]");
    return 2;
}
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
var home = Path.GetDirectoryName(Path.GetFullPath(args[1]))!;
try
{
    await using var client = await FerryClient.ConnectAsync(
        new FerryClientOptions(FerryTarget.Parse(args[0])) { KeyFile = args[1], StateDirectory = home }, stop.Token);
    await using var chat = await client.JoinChatAsync(args.Length > 2 ? args[2] : "lobby", "bot", cancellationToken: stop.Token);
    Console.WriteLine($"joined {chat.Room} as {chat.Nick}");
    await foreach (var e in chat.ReadEventsAsync(stop.Token))
    {
        // Only live room messages from others: the history replayed on join and the bot's own lines get no answer.
        if (e.Kind != "message" || e.History || e.From == chat.Nick || e.Text is not { } text) continue;
        if (text == "!ping") await chat.SayAsync("pong", stop.Token);
        else if (text.StartsWith("!upper ", StringComparison.Ordinal)) await chat.SayAsync(text["!upper ".Length..].ToUpperInvariant(), stop.Token);
        else if (text == "!bye")
        {
            await chat.SayAsync($"bye, {e.From}", stop.Token);
            break;
        }
    }
    return 0;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 0;
}
catch (FerryException ex)
{
    Console.Error.WriteLine($"chatbot: {ex.Message}");
    return 1;
}
