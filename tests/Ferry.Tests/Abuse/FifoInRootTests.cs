using System.Runtime.Versioning;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14 item 4: a named pipe in the root. Opening one for reading blocks until a writer comes, so the old server
/// parked every <c>file.get</c> of it in <c>openat</c> (on the socket threads at first) and answered nobody. Now only
/// regular files are opened, non-blocking, and the file system is never called on a connection's read loop.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class FifoInRootTests : IDisposable
{
    private static readonly TimeSpan s_prompt = TimeSpan.FromSeconds(10);

    private readonly string _root = TempDirectory.Create("ferry-fifo-root");
    private readonly string _local = TempDirectory.Create("ferry-fifo-local");

    public void Dispose()
    {
        // Should a server still be stuck opening the pipes (the old behaviour), let it go.
        foreach (var pipe in Directory.GetFiles(_root, "*pipe*", SearchOption.AllDirectories)) LinuxTestCalls.WakeFifoReaders(pipe);
        TempDirectory.TryDelete(_root);
        TempDirectory.TryDelete(_local);
    }

    [LinuxFact]
    public async Task Issue14_TwoGetsOfAFifoAreRefusedPromptlyAndAnotherConnectionIsAnsweredMeanwhile()
    {
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        LinuxTestCalls.MakeFifo(Path.Combine(_root, "pipe"));
        LinuxTestCalls.MakeFifo(Path.Combine(_root, "sub", "pipe2"));
        File.CreateSymbolicLink(Path.Combine(_root, "to-pipe"), "sub/pipe2");
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var first = await server.ConnectAsync();
        var second = await server.ConnectAsync();
        var bystander = await server.ConnectAsync();

        var gets = new[]
        {
            first.DownloadAsync("pipe", Path.Combine(_local, "a")),
            second.DownloadAsync("pipe", Path.Combine(_local, "b")),
            first.DownloadAsync("to-pipe", Path.Combine(_local, "c")),
        };
        // While those are (or were) in flight, a ping and an echo on another connection are answered.
        await bystander.RequestAsync<object, object>(MessageTypes.Ping, null, null, null, ReadOnlyMemory<byte>.Empty).WaitAsync(s_prompt);
        Assert.Equal("alive"u8.ToArray(), await bystander.EchoAsync("alive"u8.ToArray()).WaitAsync(s_prompt));
        foreach (var get in gets)
        {
            var error = await Assert.ThrowsAsync<FerryException>(() => get.WaitAsync(s_prompt));
            Assert.Equal(ProtocolError.BadRequest, error.Error);
            Assert.Contains("named pipe", error.Message, StringComparison.Ordinal);
            Assert.Contains("not a regular file", error.Message, StringComparison.Ordinal);
        }
        // Describing it opens nothing, so that works; the connections that asked go on working.
        Assert.Equal("pipe", (await first.StatAsync("pipe").WaitAsync(s_prompt)).Name);
        Assert.Contains(await second.ListAsync("").WaitAsync(s_prompt), e => e.Name == "pipe");
        Assert.Equal("ok"u8.ToArray(), await second.EchoAsync("ok"u8.ToArray()).WaitAsync(s_prompt));
        Assert.Empty(Directory.GetFiles(_local));
    }
}
