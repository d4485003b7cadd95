using System.Text.Json;
using Ferry.Cli.Demos.Sticky;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Cli.Demos;

/// <summary>Each case of <c>ferry demo sticky</c> must show its effect on every run, not by luck: 20 runs in a row each.</summary>
public class StickyDemoTests
{
    private const int Runs = 20;

    [Fact]
    public async Task SenderMergesEveryTime()
    {
        for (int i = 0; i < Runs; i++)
        {
            var r = await StickyDemo.RunAsync("sender-merges");
            Assert.True(r.EffectObserved, r.Verdict);
            var read = Assert.Single(r.Steps, s => s.Side == "server");
            Assert.Equal("hellofeng", read.Text);
            Assert.Equal("recv(10)", read.Action);
        }
    }

    [Fact]
    public async Task ReceiverSplitsEveryTime()
    {
        for (int i = 0; i < Runs; i++)
        {
            var r = await StickyDemo.RunAsync("receiver-splits");
            Assert.True(r.EffectObserved, r.Verdict);
            Assert.Equal(["he", "llo feng"], r.Steps.Where(s => s.Side == "server").Select(s => s.Text));
        }
    }

    [Fact]
    public async Task BigReplyOverflowsEveryTime()
    {
        var listing = Printable.Of(DemoData.DirectoryListing());
        for (int i = 0; i < Runs; i++)
        {
            var r = await StickyDemo.RunAsync("big-reply-overflows");
            Assert.True(r.EffectObserved, r.Verdict);
            var clientReads = r.Steps.Where(s => s.Side == "client" && s.Action == "recv(1024)").ToList();
            Assert.Equal(2, clientReads.Count);
            Assert.Equal(1024, clientReads[0].Bytes);
            // The reply to 'pwd' begins with the tail of the listing and only then has pwd's output.
            Assert.EndsWith("/home/feng\\n", clientReads[1].Text);
            Assert.StartsWith(Printable.Of(DemoData.DirectoryListing().AsSpan(1024)), clientReads[1].Text);
            Assert.NotEqual(listing, clientReads[0].Text);
        }
    }

    [Fact]
    public async Task TheFixKeepsEveryMessageWholeEveryTime()
    {
        for (int i = 0; i < Runs; i++)
        {
            var r = await StickyDemo.RunAsync("fix");
            Assert.True(r.EffectObserved, r.Verdict);
            var frames = r.Steps.Where(s => s.Action == "frame").ToList();
            Assert.Equal(["hello", "feng", "hello feng", Printable.Of(DemoData.DirectoryListing()), "/home/feng\\n"], frames.Select(f => f.Text));
            // The stress really happened: one read for both merged frames, a 2-byte first read, reads of at most 1024.
            Assert.Single(r.Steps, s => s.Part == "sender-merges" && s.Action == "socket read");
            Assert.Equal(2, r.Steps.First(s => s.Part == "receiver-splits" && s.Action == "socket read").Bytes);
            Assert.All(r.Steps.Where(s => s.Part == "big-reply-overflows" && s.Action == "socket read"), s => Assert.True(s.Bytes <= 1024));
        }
    }

    [Fact]
    public async Task TheHeaderBeatsTheHandshakeEveryTime()
    {
        for (int i = 0; i < Runs; i++)
        {
            var r = await StickyDemo.RunAsync("slow-fix", slowFixMessages: 500);
            Assert.True(r.EffectObserved, r.Verdict);
            var m = Assert.IsType<SlowFixMeasurement>(r.Measurement);
            Assert.Equal(500, m.Messages);
            Assert.True(m.HeaderMessagesPerSecond > m.HandshakeMessagesPerSecond);
        }
    }

    [Fact]
    public async Task DemoListsTheDemos()
    {
        var result = await CliHarness.RunAsync(["demo"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("sticky", result.StdOut);
        Assert.Contains("big-reply-overflows", result.StdOut);
    }

    [Fact]
    public async Task OneCaseAsJsonGivesTheObservedReads()
    {
        var result = await CliHarness.RunAsync(["demo", "sticky", "--case", "receiver-splits", "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        var cases = doc.RootElement.GetProperty("cases");
        Assert.Equal(1, cases.GetArrayLength());
        Assert.True(cases[0].GetProperty("effectObserved").GetBoolean());
        var reads = cases[0].GetProperty("steps").EnumerateArray().Where(s => s.GetProperty("side").GetString() == "server").Select(s => s.GetProperty("text").GetString());
        Assert.Equal(["he", "llo feng"], reads);
    }

    [Fact]
    public async Task TheWholeDemoNarrates()
    {
        var result = await CliHarness.RunAsync(["demo", "sticky"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("hellofeng", result.StdOut);
        Assert.Contains("arranged:", result.StdOut);
        Assert.Contains("messages/s", result.StdOut);
        Assert.Equal(5, result.StdOut.Split("✓ observed").Length - 1);
    }

    [Fact]
    public async Task UnknownCaseIsAUsageError()
    {
        var result = await CliHarness.RunAsync(["demo", "sticky", "--case", "nope"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("sender-merges", result.StdErr);
    }
}
