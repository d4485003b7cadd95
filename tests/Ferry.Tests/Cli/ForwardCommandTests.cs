using System.Text;
using System.Text.RegularExpressions;
using Ferry.Cli.Commands.Forward;
using Ferry.Cli.Infrastructure;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Forward;

namespace Ferry.Tests.Cli;

public partial class ForwardCommandTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Standard output that says when a number of lines has arrived (the command prints one per listener).</summary>
    private sealed class LineWatch(int lines) : MemoryStream
    {
        private readonly TaskCompletionSource<string> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> Lines => _done.Task;

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (this)
            {
                base.Write(buffer, offset, count);
                var text = Encoding.UTF8.GetString(ToArray());
                if (text.Count(c => c == '\n') >= lines) _done.TrySetResult(text);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.ToArray(), 0, buffer.Length);
            return ValueTask.CompletedTask;
        }
    }

    [GeneratedRegex(@"forwarding 127\.0\.0\.1:(\d+) -> (\S+) via (\S+)")]
    private static partial Regex LocalLine();

    [GeneratedRegex(@"forwarding 127\.0\.0\.1:(\d+) on (\S+) -> (\S+) from here")]
    private static partial Regex RemoteLine();

    [Fact]
    public async Task ForwardPrintsOneLinePerListenerCarriesBothWaysAndStopsOnCtrlC()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await ForwardTests.StartAsync();
        await using var echo = TcpTarget.Echo();
        var target = $"127.0.0.1:{server.EndPoint.Port}";
        var stdout = new LineWatch(2);
        using var stop = new CancellationTokenSource();
        var run = CliHarness.RunAsync(["forward", target, .. server.ClientArgs, "-L", $"0:127.0.0.1:{echo.Port}", "-R", $"0:127.0.0.1:{echo.Port}"],
            new MemoryStream(), stdout, stop.Token);
        var lines = await stdout.Lines.WaitAsync(deadline.Token);
        var local = LocalLine().Match(lines);
        var remote = RemoteLine().Match(lines);
        Assert.True(local.Success && remote.Success, lines);
        Assert.Equal($"127.0.0.1:{echo.Port}", local.Groups[2].Value);
        Assert.Equal(target, local.Groups[3].Value);

        foreach (var port in new[] { int.Parse(local.Groups[1].Value), int.Parse(remote.Groups[1].Value) })
        {
            using var socket = await LocalPorts.ConnectAsync(port, deadline.Token);
            var payload = System.Security.Cryptography.RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
            Assert.Equal(payload, await LocalPorts.RoundTripAsync(socket, payload, deadline.Token));
        }
        stop.Cancel();
        var (code, stderr) = await run.WaitAsync(deadline.Token);
        Assert.Equal(0, code);
        Assert.Contains("ferry forward: stopped", stderr);
    }

    [Fact]
    public async Task ARefusedDestinationIsOneLineOnStderrAndTheForwardGoesOn()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await ForwardTests.StartAsync();
        int closed = TcpTarget.ClosedPort();
        var stdout = new LineWatch(1);
        using var stop = new CancellationTokenSource();
        var run = CliHarness.RunAsync(["forward", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "-L", $"0:127.0.0.1:{closed}"],
            new MemoryStream(), stdout, stop.Token);
        var port = int.Parse(LocalLine().Match(await stdout.Lines.WaitAsync(deadline.Token)).Groups[1].Value);
        for (int i = 0; i < 2; i++)
        {
            try
            {
                // The reset can beat the connect's own completion on a busy machine: either way the program learns it.
                using var socket = await LocalPorts.ConnectAsync(port, deadline.Token);
                Assert.Empty(await LocalPorts.ReadToEndAsync(socket, deadline.Token));
            }
            catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset)
            {
                // Reset: the local program learns the stream broke.
            }
        }
        stop.Cancel();
        var (code, stderr) = await run.WaitAsync(deadline.Token);
        Assert.Equal(0, code);
        var problems = stderr.Split('\n').Where(l => l.Contains("connection refused", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, problems.Count);
        Assert.Equal($"ferry: 127.0.0.1:{port} -> 127.0.0.1:{closed}: connection refused to 127.0.0.1:{closed}", problems[0]);
    }

    [Fact]
    public async Task ServerWithoutAllowForwardIsRefusedWithExitCode5()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["forward", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "-R", "0:localhost:80"],
            cancellationToken: deadline.Token);
        Assert.Equal(5, result.ExitCode);
        Assert.Contains("--allow-forward", result.StdErr);
    }

    [Theory]
    [InlineData("8080:db:5432", null, 8080, "db", 5432)]
    [InlineData("127.0.0.1:8080:localhost:80", "127.0.0.1", 8080, "localhost", 80)]
    [InlineData("*:8080:db:5432", "*", 8080, "db", 5432)]
    [InlineData("[::1]:8080:[fd00::1]:443", "::1", 8080, "fd00::1", 443)]
    public void LocalSpecsParseAsSshWritesThem(string text, string? bind, int port, string host, int hostPort)
    {
        var spec = ForwardSpec.Parse(ForwardKind.Local, text);
        Assert.Equal((bind, port, host, hostPort), (spec.Bind, spec.Port, spec.Host, spec.HostPort));
    }

    [Theory]
    [InlineData("8080")]
    [InlineData("8080:db")]
    [InlineData("x:8080:db:5432")]
    [InlineData("8080:db:70000")]
    [InlineData("8080::5432")]
    [InlineData("[::1:8080:db:5432")]
    public void BadSpecsAreUsageErrors(string text) =>
        Assert.Throws<CliUsageException>(() => ForwardSpec.Parse(ForwardKind.Local, text));

    [Fact]
    public void DynamicSpecsAreBindAndPort()
    {
        Assert.Equal(1080, ForwardSpec.Parse(ForwardKind.Dynamic, "1080").Port);
        Assert.Equal("0.0.0.0", ForwardSpec.Parse(ForwardKind.Dynamic, "0.0.0.0:1080").Bind);
        Assert.Throws<CliUsageException>(() => ForwardSpec.Parse(ForwardKind.Dynamic, "1080:db:80"));
    }
}
