using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ferry.Cli.Commands.Chat;
using Ferry.Client;
using Ferry.Datagrams;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Chat;

namespace Ferry.Tests.Cli;

public class ChatCommandTests
{
    [Fact]
    public async Task SendDeliversOneMessageAndExits()
    {
        await using var server = await TestServer.StartAsync();
        var watcher = await (await server.ConnectAsync()).JoinChatAsync("den", "watcher");
        var events = new ChatEventCollector(watcher.ReadEventsAsync());
        var result = await CliHarness.RunAsync(["chat", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--room", "den", "--nick", "ann", "--send", "hello from the cli"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.StdOut);
        var seen = await events.WaitForMessagesAsync(1);
        Assert.Contains(seen, e => e is { Kind: "message", From: "ann", Text: "hello from the cli" });
        await events.WaitForAsync(e => e.Any(x => x is { Kind: "leave", From: "ann" }));
    }

    [Fact]
    public async Task StandardInputLinesAreSentInOrderAndCommandsRun()
    {
        await using var server = await TestServer.StartAsync();
        var watcher = await (await server.ConnectAsync()).JoinChatAsync("lobby", "watcher");
        var events = new ChatEventCollector(watcher.ReadEventsAsync());
        var stdin = Encoding.UTF8.GetBytes("first\n\nsecond ž\n/nick bobby\nthird\n/who\n");
        var result = await CliHarness.RunAsync(["chat", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--nick", "bob"], stdin);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("you are now bobby", result.StdErr);
        Assert.Contains("in lobby: ", result.StdErr);
        var seen = await events.WaitForMessagesAsync(3);
        Assert.Equal(["bob: first", "bob: second ž", "bobby: third"],
            seen.Where(e => e.Kind == "message").Select(e => $"{e.From}: {e.Text}").ToArray());
        Assert.Contains(seen, e => e is { Kind: "nick", From: "bob", Nick: "bobby" });
    }

    [Fact]
    public async Task WaitWithJsonPrintsOneObjectPerEvent()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await (await server.ConnectAsync()).JoinChatAsync("lobby", "ann");
        var annEvents = new ChatEventCollector(ann.ReadEventsAsync());
        await ann.SayAsync("before");
        var cli = CliHarness.RunAsync(["chat", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--nick", "reader", "--json", "--wait", "4"]);
        await annEvents.WaitForAsync(e => e.Any(x => x is { Kind: "join", From: "reader" }));
        await ann.SayAsync("while waiting");
        var result = await cli.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, result.ExitCode);
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var objects = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var history = objects.First();
        Assert.Equal(("message", "before", true), (history.GetProperty("kind").GetString(), history.GetProperty("text").GetString(), history.GetProperty("history").GetBoolean()));
        var live = objects.Single(o => o.TryGetProperty("text", out var t) && t.GetString() == "while waiting");
        Assert.Equal("ann", live.GetProperty("from").GetString());
        Assert.False(live.TryGetProperty("history", out _));
        Assert.True(live.GetProperty("time").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task ATakenNickIsOneLineAndAnError()
    {
        await using var server = await TestServer.StartAsync();
        await (await server.ConnectAsync()).JoinChatAsync("lobby", "ann");
        var result = await CliHarness.RunAsync(["chat", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--nick", "ann", "--send", "hi"]);
        Assert.Equal(5, result.ExitCode);
        Assert.Single(result.StdErr.Trim().Split('\n'));
        Assert.Contains("'ann' is taken", result.StdErr);
        Assert.Contains("--nick", result.StdErr);
    }

    [Fact]
    public void DisplayStripsControlCharactersSoNobodyRepaintsTheTerminal()
    {
        var formatter = new ChatEventFormatter(colour: false);
        var line = formatter.Format(new ChatEvent("message", "lobby", "ev\u001bil", DateTimeOffset.UtcNow, "\u001b[2J\u001b[Hgotcha\r\nnext\u0007\u009b"));
        Assert.DoesNotContain(line, c => c < 0x20 || c is >= '\u007f' and <= '\u009f');
        Assert.EndsWith("<evil> [2J[Hgotchanext", line);
        var json = ChatEventFormatter.Json(new ChatEvent("message", "lobby", "ann", DateTimeOffset.UtcNow, "a\u001bb"));
        Assert.Contains("\\u001B", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UdpSendReachesAnotherUdpMember()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        await using var server = await TestServer.StartAsync(o =>
        {
            File.WriteAllText(Path.Combine(o.Server.DataDirectory, "key"), Convert.ToBase64String(key) + "\n");
            o.UdpChat.EndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        });
        var relay = (UdpChatRelay)server.Server.Services.GetService(typeof(UdpChatRelay))!;
        await using var bob = await UdpChatClient.JoinAsync(relay.LocalEndPoint, key, "deck", "bob");
        await using var bobEvents = bob.ReadEventsAsync().GetAsyncEnumerator();
        var keyFile = Path.Combine(server.DataDirectory, "key");
        var result = await CliHarness.RunAsync(["chat", "--udp", $"127.0.0.1:{relay.LocalEndPoint.Port}", "--key-file", keyFile, "--room", "deck", "--nick", "ann", "--send", "over udp"]);
        Assert.Equal(0, result.ExitCode);
        var texts = new List<string?>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!texts.Contains("over udp") && await bobEvents.MoveNextAsync().AsTask().WaitAsync(timeout.Token)) texts.Add(bobEvents.Current.Text);
        Assert.Contains("over udp", texts);

        var tooLong = await CliHarness.RunAsync(["chat", "--udp", $"127.0.0.1:{relay.LocalEndPoint.Port}", "--key-file", keyFile, "--send", new string('x', 1300)]);
        Assert.NotEqual(0, tooLong.ExitCode);
        Assert.Contains("too long for one UDP datagram", tooLong.StdErr);
    }
}
