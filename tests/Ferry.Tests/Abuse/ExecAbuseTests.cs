using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Exec;
using Xunit.Abstractions;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14 items 9 and 10: zombies of commands that left their session piled up under the server (the
/// subreaper), and a command that never reads its input blocked the connection's read loop, so neither ping nor
/// cancel got through until the command ended.
/// </summary>
public sealed class ExecAbuseTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(25);

    [Fact]
    public async Task InputACommandNeverReadsDoesNotHoldUpPingOrCancel()
    {
        await using var server = await ExecTestServer.StartAsync();
        using var deadline = new CancellationTokenSource(Patience);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.start","id":10,"command":"sleep 60","stdin":true}"""), deadline.Token);
        var chunk = new byte[64 * 1024];
        for (int i = 0; i < 16; i++) // 1 MiB: far more than the pipe (64 KiB) holds
        {
            await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.stdin","id":10,"size":65536}""", chunk), deadline.Token);
        }
        var clock = Stopwatch.StartNew();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":11}"""), deadline.Token);
        var pong = await ReadAsync(stream, deadline.Token);
        Assert.Equal(("pong", 11L), (pong.GetProperty("type").GetString(), pong.GetProperty("id").GetInt64()));
        output.WriteLine($"first pong after {clock.Elapsed.TotalSeconds:0.000} s");

        await stream.WriteAsync(RawFrames.Frame("""{"type":"cancel","id":10}"""), deadline.Token);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":12}"""), deadline.Token);
        var seen = new Dictionary<long, JsonElement>();
        while (seen.Count < 2)
        {
            var frame = await ReadAsync(stream, deadline.Token);
            seen[frame.GetProperty("id").GetInt64()] = frame;
        }
        output.WriteLine($"cancel answered and second pong after {clock.Elapsed.TotalSeconds:0.000} s");
        Assert.Equal("pong", seen[12].GetProperty("type").GetString());
        Assert.Equal(("error", "cancelled"), (seen[10].GetProperty("type").GetString(), seen[10].GetProperty("code").GetString()));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the command's 60 s sleep must not be what ended the wait");
    }

    [Fact]
    public async Task InputPastTheQueueForACommandThatNeverReadsEndsItWithBusy()
    {
        await using var server = await ExecTestServer.StartAsync(e =>
        {
            e.StdinBufferBytes = 256 * 1024;
            e.StdinStallTimeout = TimeSpan.FromMilliseconds(500);
        });
        using var deadline = new CancellationTokenSource(Patience);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.start","id":10,"command":"sleep 60","stdin":true}"""), deadline.Token);
        var chunk = new byte[64 * 1024];
        for (int i = 0; i < 16; i++)
        {
            await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.stdin","id":10,"size":65536}""", chunk), deadline.Token);
        }
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":11}"""), deadline.Token);
        var seen = new Dictionary<long, JsonElement>();
        while (seen.Count < 2)
        {
            var frame = await ReadAsync(stream, deadline.Token);
            seen[frame.GetProperty("id").GetInt64()] = frame;
        }
        Assert.Equal("pong", seen[11].GetProperty("type").GetString());
        Assert.Equal(("error", "busy"), (seen[10].GetProperty("type").GetString(), seen[10].GetProperty("code").GetString()));
        Assert.Contains("at most 262144 bytes per command", seen[10].GetProperty("message").GetString());
    }

    [Fact]
    public async Task ZombiesOfCommandsThatLeftTheirSessionAreReaped()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var marker = "1." + Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);
        for (int i = 0; i < 20; i++)
        {
            var result = await client.ExecAsync($"setsid sh -c 'sleep {marker}' &");
            Assert.Equal(0, result.ExitCode);
        }

        var clock = Stopwatch.StartNew();
        while (ProcessTable.Matching(marker).Count > 0) // the sleeps still running
        {
            Assert.True(clock.Elapsed < Patience, "the sleeps did not end");
            await Task.Delay(50);
        }
        int most = 0;
        while (Zombies() is var zombies && zombies > 0)
        {
            most = Math.Max(most, zombies);
            Assert.True(clock.Elapsed < Patience, $"{zombies} zombie(s) are still children of the server (the test process)");
            await Task.Delay(50);
        }
        output.WriteLine($"all reaped {clock.Elapsed.TotalSeconds:0.0} s after the sleeps began ending; at most {most} zombie(s) seen");
    }

    private static int Zombies() => ProcessTable.OurZombies("sleep").Count + ProcessTable.OurZombies("sh").Count + ProcessTable.OurZombies("setsid").Count;

    private static async Task<JsonElement> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var frame = await RawFrames.ReadFrameAsync(stream, cancellationToken) ?? throw new EndOfStreamException("the server closed");
        using var doc = JsonDocument.Parse(frame.Header);
        return doc.RootElement.Clone();
    }
}
