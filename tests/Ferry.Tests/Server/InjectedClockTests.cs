using System.Text.Json;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Security.SharedKey;
using Ferry.Server;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Security;

namespace Ferry.Tests.Server;

/// <summary>
/// Deadlines and slow-downs run on the clock the options give (<see cref="FerryServerOptions.Time"/>,
/// <see cref="FerryClientOptions.Time"/>), over real sockets. Each deadline is an hour long: on the system clock none
/// of these tests could finish, so each one passing shows that the injected clock, and only it, fired the deadline.
/// </summary>
public class InjectedClockTests
{
    private static readonly TimeSpan s_hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_realLimit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task HandshakeDeadlineFiresWhenTheServersClockReachesIt()
    {
        var clock = new WatchedClock();
        await using var server = await TestServer.StartPlaintextAsync(o =>
        {
            o.Time = clock;
            o.Server.HandshakeTimeout = s_hour;
        });
        await using var stalled = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(stalled);

        await clock.TimerStartedAsync(s_hour).WaitAsync(s_realLimit);
        clock.Advance(s_hour);
        var frame = await RawFrames.ReadFrameAsync(stalled).WaitAsync(s_realLimit);
        Assert.Equal("timeout", RawHandshake.CodeOrType(frame!.Value.Header));
        Assert.Contains("3600 s", RawHandshake.Message(frame.Value.Header));
        Assert.True(await RawHandshake.ClosesAsync(stalled, s_realLimit));
    }

    [Fact]
    public async Task FailedLoginIsAnsweredAfterTheSlowDownOnTheServersClock()
    {
        var clock = new WatchedClock();
        await using var server = await TestServer.StartPlaintextAsync(o =>
        {
            o.Time = clock;
            o.Server.HandshakeTimeout = 3 * s_hour; // must not fire first when the clock jumps an hour
            o.Server.Authentication.FailureDelay = s_hour;
            o.Server.Authentication.MaxFailureDelay = s_hour;
        });
        await using var stream = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(stream);
        var serverNonce = await RawHandshake.StartKeyAsync(stream);
        var clientNonce = new byte[32];
        var wrongKey = new byte[32];
        await stream.WriteAsync(RawHandshake.ProofFrame(clientNonce, KeyProof.Client(wrongKey, serverNonce, clientNonce, [])));

        var refusal = RawFrames.ReadFrameAsync(stream);
        await clock.TimerStartedAsync(s_hour).WaitAsync(s_realLimit);
        Assert.False(refusal.IsCompleted, "the refusal came before the slow-down's hour had passed on the server's clock");
        clock.Advance(s_hour);
        var frame = await refusal.WaitAsync(s_realLimit);
        Assert.Equal("auth_failed", RawHandshake.CodeOrType(frame!.Value.Header));
    }

    [Fact]
    public async Task ClientRequestTimeoutFiresOnTheClientsClock()
    {
        var clock = new WatchedClock();
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartPlaintextAsync(build: b => b.AddService(new TestRoutes(r => r.Map("test.silent", _ =>
        {
            reached.TrySetResult(); // never answers: the exchange stays open until the client gives up
            return ValueTask.CompletedTask;
        }))));
        await using var client = await server.ConnectAsync(o =>
        {
            o.Time = clock;
            o.RequestTimeout = s_hour;
        });

        var call = client.RequestAsync<NotePayload, NotePayload>("test.silent", new NotePayload(), TestJsonContext.Default.NotePayload,
            TestJsonContext.Default.NotePayload);
        await reached.Task.WaitAsync(s_realLimit);
        await clock.TimerStartedAsync(s_hour).WaitAsync(s_realLimit);
        Assert.False(call.IsCompleted);
        clock.Advance(s_hour);
        var ex = await Assert.ThrowsAsync<FerryException>(() => call.WaitAsync(s_realLimit));
        Assert.Equal(ProtocolError.Timeout, ex.Error);
        Assert.Contains("3600 s", ex.Message);
        // The client asked the server to stop the request and the connection still serves.
        Assert.Equal("still here"u8.ToArray(), await client.EchoAsync("still here"u8.ToArray()).WaitAsync(s_realLimit));
    }
}
