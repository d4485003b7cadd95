using System.Security.Cryptography;
using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Files;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14 item 2: many requests multiplexed on one connection, each answered with streamed bodies, under any
/// interleaving. Streamed echoes (over 16 KiB, so the server streams the reply) and downloads of one to three
/// <c>file.data</c> frames run side by side on one client; every byte that comes back is checked.
/// </summary>
public sealed class InterleavedResponsesTests : IDisposable
{
    private const int Workers = 16;
    private const int BodiesWanted = 6000;

    private readonly string _local = TempDirectory.Create("ferry-interleave-local");
    private readonly string _root = TempDirectory.Create("ferry-interleave-root");

    public void Dispose()
    {
        TempDirectory.TryDelete(_local);
        TempDirectory.TryDelete(_root);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Issue14_ThousandsOfInterleavedBodiesArriveIntactOnOneConnection(bool plaintext)
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Files.Root = _root;
            o.Server.Plaintext = plaintext;
        });
        var client = await server.ConnectAsync();
        // 1, 2 and 3 file.data frames (the sender's chunk is 1 MiB).
        long[] sizes = [40 * 1024 + 3, 1024 * 1024 + 17, 2 * 1024 * 1024 + 5];
        var hashes = new string[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            hashes[i] = FileTestData.Sha256(FileTestData.Create(_root, $"f{i}.bin", sizes[i], seed: 100 + i));
        }

        int bodies = 0, echoes = 0, downloads = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        async Task WorkAsync(int worker)
        {
            var random = new Random(worker);
            var message = new byte[48 * 1024];
            random.NextBytes(message);
            int round = 0;
            while (Volatile.Read(ref bodies) < BodiesWanted)
            {
                deadline.Token.ThrowIfCancellationRequested();
                round++;
                if (random.Next(3) != 0)
                {
                    int length = random.Next(16 * 1024 + 1, message.Length);
                    bool upper = random.Next(4) == 0;
                    var sent = message.AsMemory(0, length);
                    var reply = await client.EchoAsync(sent, upper, deadline.Token);
                    var expected = sent.ToArray();
                    if (upper) Ferry.Services.Echo.EchoService.UpperAscii(expected);
                    Assert.True(expected.AsSpan().SequenceEqual(reply), $"echo of {length} bytes came back damaged (worker {worker}, round {round})");
                    Interlocked.Increment(ref echoes);
                    Interlocked.Increment(ref bodies);
                }
                else
                {
                    int which = random.Next(sizes.Length);
                    var target = Path.Combine(_local, $"w{worker}-{round}.bin");
                    var result = await client.DownloadAsync($"f{which}.bin", target, cancellationToken: deadline.Token);
                    Assert.Equal(hashes[which], FileTestData.Sha256(target));
                    Assert.Equal(hashes[which], result.Sha256);
                    File.Delete(target);
                    Interlocked.Increment(ref downloads);
                    Interlocked.Add(ref bodies, which + 1);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(() => WorkAsync(w)))).WaitAsync(TimeSpan.FromSeconds(180));
        Assert.True(echoes > 500 && downloads > 200, $"{echoes} echoes and {downloads} downloads: not enough of both to interleave");
        Assert.Equal("still framed"u8.ToArray(), await client.EchoAsync("still framed"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
