using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ferry.Client;
using Ferry.Services.Exec;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Exec;
using Xunit.Abstractions;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14, "Also": exec had no bound on the processes one command forks, so a fork bomb ran until its timeout and
/// once left the server unable to start a thread. Now each command runs in a pids cgroup of its own
/// (<c>--exec-max-processes</c>): the bomb cannot fork past the limit, the server keeps answering, other commands
/// run, and at the timeout everything is killed, reaped and the cgroup removed.
/// </summary>
public sealed class ForkBombTests(ITestOutputHelper output)
{
    private const int Limit = 32;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    [RootFact]
    public async Task AForkBombStopsAtTheProcessLimitWhileTheServerKeepsAnswering()
    {
        var limit = ExecProcessLimit.Create(Limit);
        Assert.True(limit.Kind == ExecProcessLimitKind.Cgroup, $"root on Linux should get a pids cgroup per command; the server says: {limit.Description}");
        limit.Close();

        await using var server = await ExecTestServer.StartAsync(e => e.MaxProcesses = Limit);
        using var deadline = new CancellationTokenSource(Patience);
        var bomber = await server.ConnectAsync();
        var bystander = await server.ConnectAsync(); // another user's connection
        await using var pinger = await server.OpenAuthenticatedRawStreamAsync(cancellationToken: deadline.Token);

        // The command prints which cgroup it is in, then bombs; its shell stays (sleep) so that the timeout ends it.
        var cgroupLine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var printed = new StringBuilder();
        var bomb = bomber.ExecAsync(new RemoteCommand("cat /proc/self/cgroup; echo end; exec bash -c ':(){ :|:& };:; sleep 60'")
        {
            Timeout = TimeSpan.FromSeconds(5),
            OnStandardOutput = (data, _) =>
            {
                lock (printed)
                {
                    printed.Append(Encoding.UTF8.GetString(data.Span));
                    if (printed.ToString().IndexOf("end\n", StringComparison.Ordinal) is var end and > 0) cgroupLine.TrySetResult(printed.ToString()[..end]);
                }
                return ValueTask.CompletedTask;
            },
        }, deadline.Token);
        var line = await cgroupLine.Task.WaitAsync(deadline.Token);
        var cgroup = CgroupFolder(line, limit.CgroupVersion);
        output.WriteLine($"command cgroup: {cgroup}");
        Assert.Equal(Limit.ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(cgroup, "pids.max")).Trim());

        // While it runs: watch the count, ping, and run another command.
        int most = 0, pongs = 0;
        var slowestPong = TimeSpan.Zero;
        var watch = Task.Run(async () =>
        {
            while (!bomb.IsCompleted)
            {
                if (ReadNumber(Path.Combine(cgroup, "pids.current")) is { } now) most = Math.Max(most, (int)now);
                await Task.Delay(10);
            }
        });
        var pings = Task.Run(async () =>
        {
            for (long id = 100; !bomb.IsCompleted; id++)
            {
                var clock = Stopwatch.StartNew();
                await pinger.WriteAsync(RawFrames.Frame($$"""{"type":"ping","id":{{id}}}"""), deadline.Token);
                var frame = await RawFrames.ReadFrameAsync(pinger, deadline.Token) ?? throw new EndOfStreamException("the server closed the pinging connection");
                using var doc = JsonDocument.Parse(frame.Header);
                Assert.Equal(("pong", id), (doc.RootElement.GetProperty("type").GetString(), doc.RootElement.GetProperty("id").GetInt64()));
                slowestPong = clock.Elapsed > slowestPong ? clock.Elapsed : slowestPong;
                pongs++;
                await Task.Delay(100);
            }
        });
        var other = await bystander.ExecAsync("echo still here", cancellationToken: deadline.Token);
        Assert.Equal((0, "still here\n"), (other.Result.ExitCode, Encoding.UTF8.GetString(other.StandardOutput)));
        long? peak = null, refused = null;
        while (!bomb.IsCompleted)
        {
            // Read while the cgroup exists: the kernel's own high-water mark and how often fork was refused.
            peak = ReadNumber(Path.Combine(cgroup, "pids.peak")) ?? peak;
            refused = ReadEvents(cgroup) ?? refused;
            await Task.Delay(50);
        }
        var result = await bomb;
        await Task.WhenAll(watch, pings);
        output.WriteLine($"exit {result.ExitCode} timed out {result.TimedOut}; most seen {most}, kernel peak {peak}, forks refused {refused}; {pongs} pongs, slowest {slowestPong.TotalMilliseconds:0} ms");

        Assert.True(result.TimedOut, "the bomb should have run until its 5 s timeout");
        Assert.InRange(most, 2, Limit);
        if (peak is not null) Assert.InRange(peak.Value, 2, Limit);
        Assert.True(refused > 0, "the bomb never met the limit, so this test proved nothing");
        Assert.True(pongs >= 5, $"only {pongs} pings were answered while the bomb ran");

        // Afterwards: the cgroup is gone (so nothing is left in it) and no bash of the bomb is left as our zombie.
        Assert.True(await ProcessTable.EventuallyAsync(() => !Directory.Exists(cgroup), TimeSpan.FromSeconds(10)), $"{cgroup} is still there");
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.OurZombies("bash").Count == 0, TimeSpan.FromSeconds(10)),
            "zombies of the bomb are left under the server");
    }

    [RootFact]
    public async Task ACommandOnATerminalRunsUnderTheLimitToo()
    {
        await using var server = await ExecTestServer.StartAsync(e => e.MaxProcesses = Limit);
        var client = await server.ConnectAsync();
        using var deadline = new CancellationTokenSource(Patience);
        var printed = new StringBuilder();
        // The command reads its own limit from its cgroup while it runs.
        var result = await client.ExecAsync(new RemoteCommand("cat /sys/fs/cgroup/pids$(grep :pids: /proc/self/cgroup | cut -d: -f3)/pids.max; grep :pids: /proc/self/cgroup")
        {
            Terminal = new RemoteTerminal(80, 24),
            OnStandardOutput = (data, _) =>
            {
                lock (printed) printed.Append(Encoding.UTF8.GetString(data.Span));
                return ValueTask.CompletedTask;
            },
        }, deadline.Token);
        Assert.Equal(0, result.ExitCode);
        var lines = printed.ToString().Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Limit.ToString(CultureInfo.InvariantCulture), lines[0].Trim());
        Assert.Contains(":pids:/ferry-exec-", lines[1], StringComparison.Ordinal);
        var cgroup = "/sys/fs/cgroup/pids" + lines[1].Trim().Split(':')[2];
        Assert.True(await ProcessTable.EventuallyAsync(() => !Directory.Exists(cgroup), TimeSpan.FromSeconds(10)), $"{cgroup} is still there");
    }

    [Fact]
    public void TheRlimitFallbackPutsTheLimitOnTheCommandBeforeItRuns()
    {
        // Root ignores RLIMIT_NPROC, so only the wrapping is checked here: the command sees the limit as its own.
        var lease = new ExecProcessLease(null, ["/usr/bin/prlimit", "--nproc=77:77", "--"], 0);
        var argv = lease.Wrap(["/bin/sh", "-c", "ulimit -p"]);
        var info = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true };
        foreach (var a in argv.Skip(1)) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        Assert.Equal("77", process.StandardOutput.ReadToEnd().Trim());
    }

    // The command's /proc/self/cgroup ("8:pids:/ferry-exec-PID-N/M" in v1): its folder under the hierarchy's mount point.
    private static string CgroupFolder(string selfCgroup, int version) =>
        PidsCgroupLocation.Find(File.ReadAllText("/proc/self/mountinfo"), selfCgroup).Single(c => c.Version == version).Directory;

    private static long? ReadNumber(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // removed at the end of the command
        }
    }

    private static long? ReadEvents(string cgroup)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(cgroup, "pids.events")).Trim(); // "max 17"
            return long.TryParse(text.Split(' ')[^1], NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
