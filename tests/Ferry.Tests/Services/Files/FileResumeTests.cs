using System.Security.Cryptography;
using Ferry.Client;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Contracts.Files;
using Ferry.Transfers;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Files;

/// <summary>Transfers cut off at several points, then resumed; damaged partial data caught by the hash.</summary>
public sealed class FileResumeTests : IDisposable
{
    private const long Size = 24L * 1024 * 1024 + 12345;
    private readonly string _local = TempDirectory.Create("ferry-resume-local");
    private readonly string _root = TempDirectory.Create("ferry-resume-root");

    public void Dispose()
    {
        TempDirectory.TryDelete(_local);
        TempDirectory.TryDelete(_root);
    }

    [Theory]
    [InlineData(1L * 1024 * 1024, false)]
    [InlineData(12L * 1024 * 1024, false)]
    [InlineData(23L * 1024 * 1024, false)]
    [InlineData(12L * 1024 * 1024, true)]
    public async Task UploadKilledMidwayResumesByteIdentical(long killAt, bool corruptPart)
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var source = FileTestData.Create(_local, "source.bin", Size, seed: 7);
        var expected = FileTestData.Sha256(source);

        var doomed = await server.ConnectAsync();
        await KillDuringAsync(doomed, killAt, progress => doomed.UploadAsync(source, "up/target.bin", new FileTransferOptions { Progress = progress }));
        Assert.False(File.Exists(Path.Combine(_root, "up", "target.bin")), "a cut-off upload must never take the final name");
        var part = await WaitForPartAsync(Path.Combine(_root, "up"));
        long kept = new FileInfo(part).Length;
        if (corruptPart) FlipByte(part, kept / 2);

        var client = await server.ConnectAsync();
        var result = await client.UploadAsync(source, "up/target.bin", new FileTransferOptions { Resume = true });

        Assert.Equal(expected, FileTestData.Sha256(Path.Combine(_root, "up", "target.bin")));
        Assert.Equal(expected, result.Sha256);
        if (corruptPart)
        {
            Assert.True(result.Restarted, "the damaged prefix must be detected and re-sent");
            Assert.Equal(0, result.ResumedFrom);
            Assert.Equal(Size, result.BytesMoved);
        }
        else
        {
            Assert.False(result.Restarted);
            Assert.Equal(kept, result.ResumedFrom);
            Assert.True(kept > 0, "some data should have arrived before the cut");
            Assert.Equal(Size - kept, result.BytesMoved);
        }
        Assert.Empty(Directory.GetFiles(_root, "*.part", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData(1L * 1024 * 1024, false)]
    [InlineData(12L * 1024 * 1024, false)]
    [InlineData(23L * 1024 * 1024, false)]
    [InlineData(12L * 1024 * 1024, true)]
    public async Task DownloadKilledMidwayResumesByteIdentical(long killAt, bool corruptPart)
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var remote = FileTestData.Create(_root, "down.bin", Size, seed: 9);
        var expected = FileTestData.Sha256(remote);
        var local = Path.Combine(_local, "down.bin");

        var doomed = await server.ConnectAsync();
        await KillDuringAsync(doomed, killAt, progress => doomed.DownloadAsync("down.bin", local, new FileTransferOptions { Progress = progress }));
        Assert.False(File.Exists(local), "a cut-off download must never take the final name");
        var part = PartNames.ForDownload(local);
        Assert.True(File.Exists(part));
        long kept = new FileInfo(part).Length;
        Assert.True(kept > 0);
        if (corruptPart) FlipByte(part, kept / 2);

        var client = await server.ConnectAsync();
        var result = await client.DownloadAsync("down.bin", local, new FileTransferOptions { Resume = true });

        Assert.Equal(expected, FileTestData.Sha256(local));
        Assert.Equal(corruptPart, result.Restarted);
        Assert.Equal(corruptPart ? 0 : kept, result.ResumedFrom);
        Assert.False(File.Exists(part));
    }

    [Fact]
    public async Task DataDamagedInTransitIsRefusedAndNeverTakesTheName()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var content = "hello, ferry"u8.ToArray();
        var damaged = (byte[])content.Clone();
        damaged[4] ^= 0x01; // one bit flipped on the way
        long id = client.NextId();
        var ready = new ResponseSink<FileReady>(FilesJsonContext.Default.FileReady);
        client.Register(id, ready);
        await client.Connection.SendAsync(MessageTypes.FilePut, id, new FilePutRequest { Path = "t.txt", Length = content.Length },
            FilesJsonContext.Default.FilePutRequest);
        Assert.Equal(0, (await ready.Task.WaitAsync(TimeSpan.FromSeconds(10))).Payload!.Offset);
        client.Unregister(id);
        var answer = new ResponseSink<FileResult>(FilesJsonContext.Default.FileResult);
        client.Register(id, answer);
        await client.Connection.SendAsync(MessageTypes.FileData, id, new FileData { Offset = 0 }, FilesJsonContext.Default.FileData, damaged);
        await client.Connection.SendAsync(MessageTypes.FileDone, id, new FileDone { Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)) },
            FilesJsonContext.Default.FileDone);
        var refused = await Assert.ThrowsAsync<FerryException>(() => answer.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ProtocolError.HashMismatch, refused.Error);
        Assert.Contains("t.txt", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "t.txt")));
        Assert.Empty(Directory.GetFiles(_root, "*.part"));
        Assert.Equal("fine"u8.ToArray(), await client.EchoAsync("fine"u8.ToArray()));
    }

    [Fact]
    public async Task DataPastTheAnnouncedLengthIsRefused()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        long id = client.NextId();
        var ready = new ResponseSink<FileReady>(FilesJsonContext.Default.FileReady);
        client.Register(id, ready);
        await client.Connection.SendAsync(MessageTypes.FilePut, id, new FilePutRequest { Path = "short.txt", Length = 3 }, FilesJsonContext.Default.FilePutRequest);
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
        client.Unregister(id);
        var answer = new ResponseSink<FileResult>(null);
        client.Register(id, answer);
        await client.Connection.SendAsync(MessageTypes.FileData, id, new FileData { Offset = 0 }, FilesJsonContext.Default.FileData, "toolong"u8.ToArray());
        var refused = await Assert.ThrowsAsync<FerryException>(() => answer.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ProtocolError.BadRequest, refused.Error);
        Assert.False(File.Exists(Path.Combine(_root, "short.txt")));
    }

    // Runs a transfer and drops its connection once 'killAt' bytes have moved, as a network cut or a killed peer would.
    private static async Task KillDuringAsync(FerryClient client, long killAt, Func<Action<FileTransferProgress>, Task> transfer)
    {
        int killed = 0;
        var run = transfer(p =>
        {
            if (p.Done >= killAt && Interlocked.Exchange(ref killed, 1) == 0) client.Connection.Abort(CloseReason.LocalClosed, "test cut");
        });
        await Assert.ThrowsAnyAsync<Exception>(() => run.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(1, killed);
    }

    private static async Task<string> WaitForPartAsync(string folder)
    {
        // The server notices the cut asynchronously and then closes the .part (releasing its exclusive lock);
        // poll for that condition, with a deadline, before looking at the kept bytes.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var parts = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.part") : [];
            if (parts.Length == 1)
            {
                try
                {
                    using (new FileStream(parts[0], FileMode.Open, FileAccess.ReadWrite, FileShare.None)) return parts[0];
                }
                catch (IOException)
                {
                    // Still held by the server's upload.
                }
            }
            await Task.Delay(20, deadline.Token);
        }
    }

    private static void FlipByte(string path, long position)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = position;
        int b = file.ReadByte();
        file.Position = position;
        file.WriteByte((byte)(b ^ 0xFF));
    }
}
