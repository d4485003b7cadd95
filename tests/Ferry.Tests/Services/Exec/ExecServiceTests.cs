using System.Text;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Exec;

public class ExecServiceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("true", 0)]
    [InlineData("false", 1)]
    [InlineData("exit 42", 42)]
    public async Task ExitCodeComesBack(string command, int expected)
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var output = await client.ExecAsync(command).WaitAsync(Deadline);
        Assert.Equal(expected, output.ExitCode);
        Assert.Null(output.Result.Signal);
        Assert.False(output.Result.TimedOut);
    }

    [Theory]
    [InlineData("KILL", 9, "SIGKILL")]
    [InlineData("TERM", 15, "SIGTERM")]
    public async Task ACommandKilledByASignalReports128PlusNAndTheSignal(string signal, int number, string name)
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var output = await client.ExecAsync($"kill -{signal} $$").WaitAsync(Deadline);
        Assert.Equal(128 + number, output.ExitCode);
        Assert.Equal(name, output.Result.Signal);
    }

    [Fact]
    public async Task StdoutAndStderrAreKeptApart()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var output = await client.ExecAsync("echo out1; echo err1 >&2; echo out2; echo err2 >&2").WaitAsync(Deadline);
        Assert.Equal("out1\nout2\n", Encoding.UTF8.GetString(output.StandardOutput));
        Assert.Equal("err1\nerr2\n", Encoding.UTF8.GetString(output.StandardError));
    }

    [Fact]
    public async Task AllByteValuesPrintedByTheCommandArriveIntact()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var format = new StringBuilder();
        for (int b = 0; b < 256; b++) format.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
        var output = await client.ExecAsync($"printf '{format}'; printf '{format}' >&2").WaitAsync(Deadline);
        var expected = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        Assert.Equal(expected, output.StandardOutput);
        Assert.Equal(expected, output.StandardError);
    }

    [Fact]
    public async Task StdinReachesCatByteForByteAndEndsWithEof()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var input = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        var received = new MemoryStream();
        var exit = await client.ExecAsync(new RemoteCommand("cat")
        {
            StandardInput = new MemoryStream(input),
            StandardOutput = received,
        }).WaitAsync(Deadline);
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(input, received.ToArray());
    }

    [Fact]
    public async Task StdinReachesSort()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var received = new MemoryStream();
        var exit = await client.ExecAsync(new RemoteCommand("sort -r")
        {
            StandardInput = new MemoryStream("a\nc\nb\n"u8.ToArray()),
            StandardOutput = received,
        }).WaitAsync(Deadline);
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal("c\nb\na\n", Encoding.UTF8.GetString(received.ToArray()));
    }

    [Fact]
    public async Task InputForACommandThatDoesNotReadItIsDroppedWithoutStallingTheConnection()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var exit = await client.ExecAsync(new RemoteCommand("true") { StandardInput = new MemoryStream(new byte[4 * 1024 * 1024]) }).WaitAsync(Deadline);
        Assert.Equal(0, exit.ExitCode);
        var again = await client.ExecAsync("echo still here").WaitAsync(Deadline);
        Assert.Equal("still here\n", Encoding.UTF8.GetString(again.StandardOutput));
    }

    [Fact]
    public async Task OutputStreamsLiveBeforeTheCommandEnds()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var firstLine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        var run = client.ExecAsync(new RemoteCommand("echo first; sleep 30; echo second")
        {
            OnStandardOutput = (data, _) =>
            {
                firstLine.TrySetResult(Encoding.UTF8.GetString(data.Span));
                return ValueTask.CompletedTask;
            },
        }, cts.Token);
        Assert.Equal("first\n", await firstLine.Task.WaitAsync(Deadline));
        Assert.False(run.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Deadline));
    }

    [Fact]
    public async Task TimeoutKillsTheCommandAndItsChildren()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var marker = ProcessTable.Marker();
        var exit = await client.ExecAsync(new RemoteCommand($"sleep {marker} & sleep {marker}") { Timeout = TimeSpan.FromSeconds(1) }).WaitAsync(Deadline);
        Assert.True(exit.TimedOut);
        Assert.Equal(137, exit.ExitCode);
        Assert.Equal("SIGKILL", exit.Signal);
        // The exit frame is sent only after the process group was killed and reaped.
        Assert.Empty(ProcessTable.Matching(marker));
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.OurZombies("sleep").Count == 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task BackgroundJobsLeftBehindByTheShellAreKilled()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var marker = ProcessTable.Marker();
        var output = await client.ExecAsync($"sleep {marker} & echo started").WaitAsync(Deadline);
        Assert.Equal(0, output.ExitCode);
        Assert.Equal("started\n", Encoding.UTF8.GetString(output.StandardOutput));
        Assert.Empty(ProcessTable.Matching(marker));
    }

    [Fact]
    public async Task CancelKillsTheTreeAndAnswersCancelled()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var marker = ProcessTable.Marker();
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = client.ExecAsync(new RemoteCommand($"sleep {marker} & echo go; sleep {marker}")
        {
            OnStandardOutput = (_, _) =>
            {
                started.TrySetResult();
                return ValueTask.CompletedTask;
            },
        }, cts.Token);
        await started.Task.WaitAsync(Deadline);
        // The shell prints before its second sleep has started; wait until both run.
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 2, TimeSpan.FromSeconds(10)));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Deadline));
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Matching(marker).Count == 0, TimeSpan.FromSeconds(10)),
            ProcessTable.Describe(ProcessTable.Matching(marker)));
        // The connection is still usable.
        Assert.Equal(0, (await client.ExecAsync("true").WaitAsync(Deadline)).ExitCode);
    }

    [Fact]
    public async Task AClientThatDisconnectsMidCommandLeavesNoProcessBehind()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await FerryClient.ConnectAsync(server.ClientOptions());
        var marker = ProcessTable.Marker();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = client.ExecAsync(new RemoteCommand($"sleep {marker} & echo go; sleep {marker}")
        {
            OnStandardOutput = (_, _) =>
            {
                started.TrySetResult();
                return ValueTask.CompletedTask;
            },
        });
        await started.Task.WaitAsync(Deadline);
        // The shell prints before its second sleep has started; wait until both run.
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 2, TimeSpan.FromSeconds(10)));
        await client.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => run.WaitAsync(Deadline));
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Matching(marker).Count == 0, TimeSpan.FromSeconds(10)),
            ProcessTable.Describe(ProcessTable.Matching(marker)));
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.OurZombies("sleep").Count == 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task SeveralCommandsRunAtOnceOverOneConnection()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        // Each command waits for a file the next one creates, so they can only finish if they really run concurrently.
        using var dir = new DisposableDirectory();
        var runs = Enumerable.Range(0, 5).Select(i => client.ExecAsync(
            $"touch {dir.Path}/{i}; n=0; while [ ! -e {dir.Path}/{(i + 1) % 5} ] && [ $n -lt 2000 ]; do sleep 0.01; n=$((n+1)); done; echo {i}")).ToArray();
        var outputs = await Task.WhenAll(runs).WaitAsync(Deadline);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(0, outputs[i].ExitCode);
            Assert.Equal($"{i}\n", Encoding.UTF8.GetString(outputs[i].StandardOutput));
        }
    }

    [Fact]
    public async Task WorkingDirectoryAndEnvironmentAreApplied()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        using var dir = new DisposableDirectory();
        var received = new MemoryStream();
        var exit = await client.ExecAsync(new RemoteCommand("pwd; echo \"$GREETING\"")
        {
            WorkingDirectory = dir.Path,
            Environment = new Dictionary<string, string> { ["GREETING"] = "hello there" },
            StandardOutput = received,
        }).WaitAsync(Deadline);
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal($"{dir.Path}\nhello there\n", Encoding.UTF8.GetString(received.ToArray()));
        var home = await client.ExecAsync("pwd").WaitAsync(Deadline);
        Assert.Equal(Path.Combine(server.DataDirectory, "home") + "\n", Encoding.UTF8.GetString(home.StandardOutput));
    }

    [Fact]
    public async Task AMissingFolderIsNotFoundAndTheConnectionStaysUsable()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var ex = await Assert.ThrowsAsync<FerryException>(() => client.ExecAsync("true", "/no/such/folder/here"));
        Assert.Equal(ProtocolError.NotFound, ex.Error);
        Assert.Contains("/no/such/folder/here", ex.Message);
        Assert.Equal(0, (await client.ExecAsync("true").WaitAsync(Deadline)).ExitCode);
    }

    [Fact]
    public async Task BadRequestsAreAnsweredAndTheConnectionStaysUsable()
    {
        await using var server = await ExecTestServer.StartAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.start","id":2,"command":""}"""));
        Assert.Contains("\"bad_request\"", (await RawFrames.ReadFrameAsync(stream))!.Value.Header);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.start","id":3,"command":"true","env":{"A=B":"x"}}"""));
        Assert.Contains("\"bad_request\"", (await RawFrames.ReadFrameAsync(stream))!.Value.Header);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.start","id":4,"command":42}"""));
        Assert.Contains("\"bad_request\"", (await RawFrames.ReadFrameAsync(stream))!.Value.Header);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.start","id":5,"command":"echo ok","stdin":false}"""));
        var stdout = (await RawFrames.ReadFrameAsync(stream))!.Value;
        Assert.Contains("\"exec.stdout\"", stdout.Header);
        Assert.Equal("ok\n"u8.ToArray(), stdout.Body);
        var exit = (await RawFrames.ReadFrameAsync(stream))!.Value;
        Assert.Contains("\"exec.exit\"", exit.Header);
        Assert.Contains("\"id\":5", exit.Header);
    }

    [Fact]
    public async Task RefusedWhenExecIsDisabled()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        var ex = await Assert.ThrowsAsync<FerryException>(() => client.ExecAsync("true"));
        Assert.Equal(ProtocolError.Disabled, ex.Error);
        Assert.Contains("--allow-exec", ex.Message);
    }

    [Fact]
    public async Task RefusedWhenThePrincipalLacksTheExecRight()
    {
        await using var server = await ExecTestServer.StartAsync(build: b => b.Authenticator = new FixedPrincipalAuthenticator(
            new Ferry.Security.Principal("reader", "test", [Ferry.Security.Rights.FilesRead])));
        var client = await server.ConnectAsync();
        await FixedPrincipalAuthenticator.AuthenticateAsync(client);
        var ex = await Assert.ThrowsAsync<FerryException>(() => client.ExecAsync("true"));
        Assert.Equal(ProtocolError.Forbidden, ex.Error);
        Assert.Contains("exec", ex.Message);
    }

    [Fact]
    public async Task CommandsBeyondThePerConnectionCapAreBusy()
    {
        await using var server = await ExecTestServer.StartAsync(o => o.MaxPerConnection = 1);
        var client = await server.ConnectAsync();
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = client.ExecAsync(new RemoteCommand("echo go; sleep 30")
        {
            OnStandardOutput = (_, _) =>
            {
                started.TrySetResult();
                return ValueTask.CompletedTask;
            },
        }, cts.Token);
        await started.Task.WaitAsync(Deadline);
        var ex = await Assert.ThrowsAsync<FerryException>(() => client.ExecAsync("true"));
        Assert.Equal(ProtocolError.Busy, ex.Error);
        Assert.Contains("--max-exec-per-connection", ex.Message);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Deadline));
        Assert.Equal(0, (await client.ExecAsync("true").WaitAsync(Deadline)).ExitCode);
    }

    [Fact]
    public async Task CommandsBeyondTheServerCapAreBusy()
    {
        await using var server = await ExecTestServer.StartAsync(o => o.MaxConcurrent = 1);
        var one = await server.ConnectAsync();
        var two = await server.ConnectAsync();
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = one.ExecAsync(new RemoteCommand("echo go; sleep 30")
        {
            OnStandardOutput = (_, _) =>
            {
                started.TrySetResult();
                return ValueTask.CompletedTask;
            },
        }, cts.Token);
        await started.Task.WaitAsync(Deadline);
        var ex = await Assert.ThrowsAsync<FerryException>(() => two.ExecAsync("true"));
        Assert.Equal(ProtocolError.Busy, ex.Error);
        Assert.Contains("--max-exec", ex.Message);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Deadline));
        Assert.Equal(0, (await two.ExecAsync("true").WaitAsync(Deadline)).ExitCode);
    }

    private sealed class DisposableDirectory : IDisposable
    {
        public string Path { get; } = TempDirectory.Create("ferry-exec");

        public void Dispose() => TempDirectory.TryDelete(Path);
    }
}
