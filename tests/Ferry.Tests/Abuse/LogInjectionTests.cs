using System.Text.Json;
using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14 item 5: text from the network reached the server log raw before authentication, so a <c>type</c> or a
/// SCRAM user name carrying ESC, BEL and CR could forge log lines and drive the terminal of whoever reads the log.
/// Every such value is escaped (<see cref="Ferry.Protocol.LogText"/>) on its way into the log.
/// </summary>
public sealed class LogInjectionTests
{
    private const string Hostile = "x\u001b[2J\u001b]0;owned\u0007\rFAKE: Failed login from 10.0.0.1\nmore";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ATypeBeforeAuthenticationIsLoggedEscaped()
    {
        var log = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(build: b => b.ConfigureLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Debug)));
        using var deadline = new CancellationTokenSource(Patience);
        await using var stream = await server.OpenRawStreamAsync();
        await stream.WriteAsync(RawFrames.Hello, deadline.Token);
        await RawFrames.ReadFrameAsync(stream, deadline.Token);

        await stream.WriteAsync(RawFrames.Frame($$"""{"type":{{JsonSerializer.Serialize(Hostile)}},"id":2}"""), deadline.Token);
        while (await RawFrames.ReadFrameAsync(stream, deadline.Token) is not null)
        {
        }
        await WaitForAsync(() => log.Lines.Any(l => l.Contains("before authenticating")), deadline.Token);

        var line = log.Lines.Single(l => l.Contains("before authenticating"));
        AssertEscaped(line);
        Assert.Contains(@"x\x1B[2J\x1B]0;owned\x07\x0DFAKE", line);
    }

    [Fact]
    public async Task AScramUserNameIsLoggedEscaped()
    {
        var log = new CapturingLoggerProvider();
        await using var server = await TestServer.StartPlaintextAsync(build: b => b.ConfigureLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Debug)));
        using var deadline = new CancellationTokenSource(Patience);
        await using var stream = await server.OpenRawStreamAsync();
        await stream.WriteAsync(RawFrames.Hello, deadline.Token);
        await RawFrames.ReadFrameAsync(stream, deadline.Token);

        // SCRAM escapes only ',' and '=' in names; everything else arrives as sent.
        var user = Hostile.Replace(",", "", StringComparison.Ordinal).Replace("=", "", StringComparison.Ordinal);
        var first = JsonSerializer.Serialize($"n,,n={user},r=abcdefghijklmnop");
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"auth.scram.start","id":2,"message":{{first}}}"""), deadline.Token);
        var challenge = await RawFrames.ReadFrameAsync(stream, deadline.Token);
        Assert.Contains("auth.scram.challenge", challenge!.Value.Header);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"auth.scram.final","id":3,"message":"c=biws,r=not-the-nonce,p=AAAA"}"""), deadline.Token);
        while (await RawFrames.ReadFrameAsync(stream, deadline.Token) is not null)
        {
        }
        await WaitForAsync(() => log.Lines.Any(l => l.Contains("Failed scram-sha-256 login")), deadline.Token);

        var line = log.Lines.Single(l => l.Contains("Failed scram-sha-256 login"));
        AssertEscaped(line);
        Assert.Contains(@"as 'x\x1B[2J", line);
    }

    /// <summary>
    /// A service of a library user that takes the kind of file a request names from its path (<c>NAME.KIND</c>) with
    /// <see cref="Enum.Parse{TEnum}(string)"/>, without validating it: a bug, whose ArgumentException quotes the peer's text.
    /// </summary>
    private sealed class CarelessFileService : Ferry.Server.IFerryService
    {
        public void MapRoutes(Ferry.Server.ServiceRoutes routes) => routes.Map("careless.open", HandleAsync);

        private static ValueTask HandleAsync(Ferry.Server.RequestContext request)
        {
            var path = request.Read(TestJsonContext.Default.NotePayload).Note!;
            _ = Enum.Parse<FileAttributes>(path[(path.IndexOf('.', StringComparison.Ordinal) + 1)..]);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task TheMessageOfAFailingRequestsExceptionIsLoggedEscaped()
    {
        // An unexpected exception (here an ArgumentException whose message quotes the path a peer sent) is logged
        // with its stack trace; the console logger prints Exception.ToString(), so the message must be escaped too.
        var log = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(build: b =>
        {
            b.AddService(new CarelessFileService());
            b.ConfigureLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Debug));
        });
        var client = await server.ConnectAsync();
        var error = await Assert.ThrowsAsync<Ferry.Protocol.FerryException>(() => client.CallAsync("careless.open",
            new NotePayload { Note = "report." + Hostile }, TestJsonContext.Default.NotePayload, TestJsonContext.Default.NotePayload));
        Assert.Equal(Ferry.Protocol.ProtocolError.Internal, error.Error);

        using var deadline = new CancellationTokenSource(Patience);
        await WaitForAsync(() => log.Exceptions.Count > 0, deadline.Token);
        var line = log.Lines.Single(l => l.Contains("careless.open", StringComparison.Ordinal));
        AssertEscaped(line);
        var logged = log.Exceptions.Single();
        var lines = logged.Split('\n');
        Assert.StartsWith("System.ArgumentException: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(@"x\x1B[2J\x1B]0;owned\x07\x0DFAKE: Failed login from 10.0.0.1\x0Amore", lines[0], StringComparison.Ordinal);
        foreach (var l in lines) AssertEscaped(l); // the stack trace's own line breaks are the only ones
        Assert.All(lines.Skip(1), l => Assert.StartsWith("   ", l, StringComparison.Ordinal));
    }

    // Nothing a terminal acts on, and no line break that could start a forged line.
    private static void AssertEscaped(string line)
    {
        foreach (var c in line)
        {
            Assert.False(char.IsControl(c), $"control character U+{(int)c:X4} in the log line: {line}");
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition()) await Task.Delay(20, cancellationToken);
    }
}
