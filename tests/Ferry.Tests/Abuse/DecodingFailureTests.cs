using System.Text.Json;
using Ferry.Protocol;
using Ferry.Server;
using Ferry.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14 item 11: a lone surrogate escape in <c>type</c> used to surface as the JSON reader's
/// InvalidOperationException, which the connection took for "the peer left": closed with no error frame and no log
/// line. A decoding failure is <c>invalid_json</c>; the server's own exceptions are logged as errors, never passed
/// off as the peer closing.
/// </summary>
public sealed class DecodingFailureTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LoneSurrogateInTypeIsInvalidJsonWithAnErrorFrameAndALogLine(bool authenticated)
    {
        var log = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(build: b => b.ConfigureLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Debug)));
        using var deadline = new CancellationTokenSource(Patience);
        await using var stream = authenticated ? await server.OpenAuthenticatedRawStreamAsync() : await server.OpenRawStreamAsync();

        await stream.WriteAsync(RawFrames.Frame("""{"type":"\ud800","id":7}"""), deadline.Token);

        var frame = await RawFrames.ReadFrameAsync(stream, deadline.Token);
        Assert.NotNull(frame);
        using var doc = JsonDocument.Parse(frame.Value.Header);
        Assert.Equal("error", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_json", doc.RootElement.GetProperty("code").GetString());
        Assert.Contains("surrogate", doc.RootElement.GetProperty("message").GetString());
        Assert.Null(await RawFrames.ReadFrameAsync(stream, deadline.Token)); // then the close
        await WaitForAsync(() => log.Lines.Any(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("broke the protocol") && l.Contains("surrogate")), deadline.Token);
    }

    [Fact]
    public async Task LoneSurrogateInAFieldIsBadRequestAndTheConnectionStays()
    {
        await using var server = await TestServer.StartAsync();
        using var deadline = new CancellationTokenSource(Patience);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();

        await stream.WriteAsync(RawFrames.Frame("""{"type":"chat.join","id":5,"room":"\udc00x"}"""), deadline.Token);
        var answer = await RawFrames.ReadFrameAsync(stream, deadline.Token);
        using (var doc = JsonDocument.Parse(answer!.Value.Header))
        {
            Assert.Equal("error", doc.RootElement.GetProperty("type").GetString());
            Assert.Equal(5, doc.RootElement.GetProperty("id").GetInt64());
            Assert.Equal("bad_request", doc.RootElement.GetProperty("code").GetString());
        }
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":6}"""), deadline.Token);
        var pong = await RawFrames.ReadFrameAsync(stream, deadline.Token);
        Assert.Contains("\"pong\"", pong!.Value.Header);
    }

    // test.io-fault: an IOException of the service's own (a disk error, a file it could not read) used to be taken for
    // the transport failing, and the connection was dropped with no error frame (issue 14's remainder).
    [Theory]
    [InlineData("test.fault")]
    [InlineData("test.io-fault")]
    public async Task AServiceFaultIsLoggedAsAnErrorAndAnsweredNotTakenForThePeerClosing(string type)
    {
        var log = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(build: b =>
        {
            b.AddService(new FaultyService());
            b.ConfigureLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Debug));
        });
        using var deadline = new CancellationTokenSource(Patience);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();

        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"{{type}}","id":9}"""), deadline.Token);
        var answer = await RawFrames.ReadFrameAsync(stream, deadline.Token);
        Assert.NotNull(answer);
        using (var doc = JsonDocument.Parse(answer.Value.Header))
        {
            Assert.Equal(9, doc.RootElement.GetProperty("id").GetInt64());
            Assert.Equal("internal", doc.RootElement.GetProperty("code").GetString());
        }
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":10}"""), deadline.Token);
        Assert.Contains("\"pong\"", (await RawFrames.ReadFrameAsync(stream, deadline.Token))!.Value.Header);
        Assert.Contains(log.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains($"{type}#9"));
    }

    private static async Task WaitForAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition()) await Task.Delay(20, cancellationToken);
    }

    private sealed class FaultyService : IFerryService
    {
        public void MapRoutes(ServiceRoutes routes)
        {
            routes.Map("test.fault", _ => throw new InvalidOperationException("the service's own bug"));
            routes.Map("test.io-fault", _ => throw new IOException("the service's own disk error"));
        }
    }
}
