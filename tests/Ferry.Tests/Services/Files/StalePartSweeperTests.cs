using Ferry.Contracts.Files;
using Ferry.Services.Files;
using Ferry.Transfers;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Files;

/// <summary>Cut-off uploads' .part files are deleted once stale, and nothing else is: not fresh ones, not other names, not links.</summary>
public sealed class StalePartSweeperTests : IDisposable
{
    private static readonly DateTime Now = DateTime.UtcNow;
    private readonly string _base = TempDirectory.Create("ferry-sweep");
    private readonly string _root;
    private readonly string _outside;

    public StalePartSweeperTests()
    {
        _root = Path.Combine(_base, "root");
        _outside = Path.Combine(_base, "outside");
        Directory.CreateDirectory(Path.Combine(_root, "deep", "er"));
        Directory.CreateDirectory(_outside);
    }

    public void Dispose() => TempDirectory.TryDelete(_base);

    private string Make(string relative, int daysOld, int bytes = 10, string? under = null)
    {
        var path = Path.Combine(under ?? _root, relative);
        File.WriteAllBytes(path, new byte[bytes]);
        File.SetLastWriteTimeUtc(path, Now.AddDays(-daysOld));
        return path;
    }

    [Fact]
    public void OnlyStaleUploadPartsGo()
    {
        var old = Make("report.pdf.0123456789abcdef.part", daysOld: 8, bytes: 1000);
        var oldDeep = Make(Path.Combine("deep", "er", ".ferry-00ff00ff00ff00ff.89abcdef.part"), daysOld: 30, bytes: 24);
        var fresh = Make("photo.jpg.fedcba9876543210.part", daysOld: 1);
        var notOurs = Make("notes.part", daysOld: 100);
        var badKey = Make("data.bin.NOTHEX99.part", daysOld: 100);
        var plain = Make("old-but-final.txt", daysOld: 100);
        var outsidePart = Make("secret.0123456789abcdef.part", daysOld: 100, under: _outside);
        var link = Path.Combine(_root, "link.0123456789abcdef.part");
        File.CreateSymbolicLink(link, outsidePart);
        File.SetLastWriteTimeUtc(link, Now.AddDays(-100));
        Directory.CreateSymbolicLink(Path.Combine(_root, "out-dir"), _outside);

        var files = new FilesService(new FilesOptions { Root = _root }, _base);
        var (count, bytes) = files.SweepStaleParts(Now.AddDays(-7));

        Assert.Equal(2, count);
        Assert.Equal(1024, bytes);
        Assert.False(File.Exists(old));
        Assert.False(File.Exists(oldDeep));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(notOurs));
        Assert.True(File.Exists(badKey));
        Assert.True(File.Exists(plain));
        Assert.True(File.Exists(outsidePart), "a part outside the root, reached through links, must survive");
        Assert.NotNull(new FileInfo(link).LinkTarget);
    }

    [Fact]
    public async Task AServerSweepsAtStartUpAndAFreshPartStaysResumable()
    {
        var old = Make("big.iso.0123456789abcdef.part", daysOld: 3);
        var fresh = Make("big.iso.fedcba9876543210.part", daysOld: 0);
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Files.Root = _root;
            o.Files.PartLifetime = TimeSpan.FromDays(2);
        });
        // The first sweep runs in the background right after start-up; wait for its effect, bounded.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (File.Exists(old)) await Task.Delay(20, deadline.Token);
        Assert.True(File.Exists(fresh));
    }
}
