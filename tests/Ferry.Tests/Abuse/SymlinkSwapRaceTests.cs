using System.Diagnostics;
using System.Runtime.Versioning;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Files;
using Xunit.Abstractions;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14 item 3: a local process swaps a folder inside the root with a link to a folder outside it
/// (renameat2 RENAME_EXCHANGE, as fast as it can) while clients get, put, remove (also recursively), mkdir, list and
/// stat through that folder over real sockets. No request may touch the outside folder or return anything from it.
/// On the old check-then-act sandbox this read the outside secret thousands of times and deleted and wrote files
/// outside within seconds.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SymlinkSwapRaceTests(ITestOutputHelper output) : IDisposable
{
    private const int Victims = 64;
    private const string OutsideSecret = "OUTSIDE-SECRET-CONTENT-NOT-FOR-CLIENTS";
    private const string InsideSecret = "inside";
    private static readonly TimeSpan s_raceFor = TimeSpan.FromSeconds(4);

    private readonly string _base = TempDirectory.Create("ferry-swap");

    public void Dispose() => TempDirectory.TryDelete(_base);

    [LinuxFact]
    public async Task Issue14_SwappingAFolderForALinkOutsideNeverLetsARequestTouchTheOutside()
    {
        var root = Path.Combine(_base, "root");
        var outside = Path.Combine(_base, "outside");
        var local = Path.Combine(_base, "local");
        Directory.CreateDirectory(local);
        // Two swapping pairs: one link absolute, one relative ('..' out of the root); the same names on both sides.
        foreach (var side in new[] { Path.Combine(root, "race"), Path.Combine(root, "race2"), outside })
        {
            Directory.CreateDirectory(Path.Combine(side, "tree", "deep"));
            File.WriteAllText(Path.Combine(side, "tree", "deep", "leaf.txt"), "leaf");
            for (int i = 0; i < Victims; i++) File.WriteAllText(Path.Combine(side, $"victim-{i}"), "v");
        }
        File.WriteAllText(Path.Combine(root, "race", "secret"), InsideSecret);
        File.WriteAllText(Path.Combine(root, "race2", "secret"), InsideSecret);
        File.WriteAllText(Path.Combine(outside, "secret"), OutsideSecret);
        File.WriteAllText(Path.Combine(outside, "outside-only.txt"), "x");
        File.CreateSymbolicLink(Path.Combine(root, "link"), outside);
        File.CreateSymbolicLink(Path.Combine(root, "link2"), "../outside");
        var before = FileTestData.TreeHashes(outside);
        var beforeEntries = FileTestData.Snapshot(outside);
        var payload = Path.Combine(local, "payload.txt");
        File.WriteAllText(payload, "payload");

        await using var server = await TestServer.StartAsync(o => o.Files.Root = root);
        var clients = new[] { await server.ConnectAsync(), await server.ConnectAsync() };

        long swaps = 0, swapErrors = 0;
        using var stop = new CancellationTokenSource();
        var swapper = new Thread(() =>
        {
            var (race, link, race2, link2) = (Path.Combine(root, "race"), Path.Combine(root, "link"), Path.Combine(root, "race2"), Path.Combine(root, "link2"));
            while (!stop.IsCancellationRequested)
            {
                if (LinuxTestCalls.Exchange(race, link) != 0) swapErrors++;
                if (LinuxTestCalls.Exchange(race2, link2) != 0) swapErrors++;
                swaps += 2;
            }
        }) { IsBackground = true, Name = "swapper" };

        int operations = 0, refused = 0, insideReads = 0, outsideSeen = 0;
        var refusals = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        swapper.Start();
        async Task WorkAsync(int worker)
        {
            var client = clients[worker % clients.Length];
            var random = new Random(worker);
            var download = Path.Combine(local, $"dl-{worker}.txt");
            for (int n = 0; clock.Elapsed < s_raceFor; n++)
            {
                var folder = random.Next(2) == 0 ? "race" : "race2";
                try
                {
                    switch (random.Next(7))
                    {
                        case 0:
                            await client.DownloadAsync($"{folder}/secret", download, new FileTransferOptions { Force = true });
                            var text = File.ReadAllText(download);
                            if (text == InsideSecret) Interlocked.Increment(ref insideReads);
                            else Interlocked.Increment(ref outsideSeen);
                            break;
                        case 1:
                            await client.UploadAsync(payload, $"{folder}/new-{worker}-{n}.txt", new FileTransferOptions { Force = true });
                            break;
                        case 2:
                            await client.RemoveAsync($"{folder}/victim-{random.Next(Victims)}");
                            break;
                        case 3:
                            await client.MakeDirectoryAsync($"{folder}/made-{worker}-{n}/sub", parents: true);
                            break;
                        case 4:
                            var entries = await client.ListAsync(folder, recursive: true);
                            if (entries.Any(e => e.Name == "outside-only.txt")) Interlocked.Increment(ref outsideSeen);
                            break;
                        case 5:
                            var stat = await client.StatAsync($"{folder}/secret");
                            if (stat.Length == OutsideSecret.Length) Interlocked.Increment(ref outsideSeen);
                            break;
                        default:
                            await client.RemoveAsync($"{folder}/tree", recursive: true);
                            break;
                    }
                }
                catch (FerryException ex)
                {
                    // Refusals are the right answer while the folder is a link: bad_path, not_found, ...
                    Interlocked.Increment(ref refused);
                    refusals.AddOrUpdate(ex.Code, 1, (_, count) => count + 1);
                }
                Interlocked.Increment(ref operations);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(WorkAsync)).WaitAsync(TimeSpan.FromSeconds(60));
        stop.Cancel();
        swapper.Join();
        double seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"{operations} requests in {seconds:F1} s ({operations / seconds:F0}/s), {swaps} swaps ({swaps / seconds:F0}/s, {swapErrors} failed); " +
            $"inside reads {insideReads}, outside seen {outsideSeen}, refused {refused}: {string.Join(", ", refusals.Select(r => $"{r.Key} {r.Value}"))}");

        var after = FileTestData.TreeHashes(outside);
        var afterEntries = FileTestData.Snapshot(outside);
        Assert.True(outsideSeen == 0, $"{outsideSeen} answers carried the outside folder's content");
        Assert.True(beforeEntries.SetEquals(afterEntries),
            $"outside changed: removed [{string.Join(", ", beforeEntries.Except(afterEntries).Take(10))}], added [{string.Join(", ", afterEntries.Except(beforeEntries).Take(10))}]");
        Assert.Equal(before, after);
        Assert.Equal(OutsideSecret, File.ReadAllText(Path.Combine(outside, "secret")));
        // The race really ran, and requests did get through the folder while it was one.
        Assert.True(swaps > 1000, $"only {swaps} swaps");
        Assert.True(insideReads > 0 && operations > 50, $"{operations} requests, {insideReads} inside reads: the race was not exercised");
    }
}
