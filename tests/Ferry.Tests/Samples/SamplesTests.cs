using System.Diagnostics;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Samples;

/// <summary>
/// Packs the library and builds samples/ against that package from a local feed (samples/pack.sh, what a user
/// would run), once for the class; the tests then run the built samples as separate processes against real servers.
/// </summary>
public sealed class SamplesBuild : IAsyncLifetime
{
    public string KeyValue => RepoPaths.Of("samples", "KeyValue", "bin", "Release", "net10.0", "kv.dll");

    public string ChatBot => RepoPaths.Of("samples", "ChatBot", "bin", "Release", "net10.0", "chatbot.dll");

    public async Task InitializeAsync()
    {
        // The library as the test run built it (Release), packed; the samples restore from an empty private cache: minutes on a busy machine.
        var (code, stdout, stderr) = await ProcessRunner.RunAsync("bash", [RepoPaths.Of("samples", "pack.sh"), "--no-build"], TimeSpan.FromMinutes(10));
        Assert.True(code == 0, $"samples/pack.sh exited {code}:\n{stdout}\n{stderr}");
        var packages = Directory.GetFiles(RepoPaths.Of("samples", "feed"), "Ferry.*.nupkg");
        Assert.Contains(packages, p => !p.EndsWith(".snupkg", StringComparison.Ordinal));
        Assert.True(File.Exists(KeyValue) && File.Exists(ChatBot), stdout);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

public class SamplesTests(SamplesBuild samples) : IClassFixture<SamplesBuild>
{
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task KeyValueSampleServesItsOwnClientAndRefusesBadRequests()
    {
        var home = TempDirectory.Create("ferry-kv");
        await using var server = SampleProcess.Start(samples.KeyValue, "serve", home, "0");
        try
        {
            var listening = await server.WaitForLineAsync(l => l.StartsWith("listening on ", StringComparison.Ordinal), s_step);
            var target = listening["listening on ".Length..];

            Assert.Equal("teal", await RunClientAsync(home, target, "set", "colour", "teal"));
            Assert.Equal("teal", await RunClientAsync(home, target, "get", "colour"));
            Assert.Equal("(not set)", await RunClientAsync(home, target, "get", "size"));

            // The same service from this process's own client: a kv.set without a value is the client's mistake.
            await using var client = await FerryClient.ConnectAsync(new FerryClientOptions(FerryTarget.Parse(target))
            {
                KeyFile = Path.Combine(home, "key"),
                StateDirectory = home,
            });
            var bad = await Assert.ThrowsAsync<FerryException>(() => client.CallAsync("kv.set", new NotePayload { Note = "no key" },
                TestJsonContext.Default.NotePayload, TestJsonContext.Default.NotePayload));
            Assert.Equal(ProtocolError.BadRequest, bad.Error);
            Assert.Contains("'key'", bad.Message, StringComparison.Ordinal);
        }
        finally
        {
            TempDirectory.TryDelete(home);
        }
    }

    [Fact]
    public async Task ChatBotAnswersInItsRoomAndLeavesOnBye()
    {
        await using var server = await TestServer.StartAsync();
        await using var bot = SampleProcess.Start(samples.ChatBot, $"127.0.0.1:{server.EndPoint.Port}", server.KeyFile, "bots");
        await bot.WaitForLineAsync(l => l == "joined bots as bot", s_step);

        var client = await server.ConnectAsync();
        await using var chat = await client.JoinChatAsync("bots", "tester");
        using var deadline = new CancellationTokenSource(s_step);
        var events = chat.ReadEventsAsync(deadline.Token).GetAsyncEnumerator(deadline.Token);
        async Task<string> BotSaysAsync()
        {
            while (await events.MoveNextAsync())
            {
                var e = events.Current;
                if (e.Kind == "message" && e.From == "bot" && !e.History) return e.Text!;
            }
            throw new InvalidOperationException("the chat ended before the bot answered");
        }

        await chat.SayAsync("!ping");
        Assert.Equal("pong", await BotSaysAsync());
        await chat.SayAsync("!upper ahoy there");
        Assert.Equal("AHOY THERE", await BotSaysAsync());
        await chat.SayAsync("!bye");
        Assert.Equal("bye, tester", await BotSaysAsync());
        Assert.Equal(0, await bot.WaitForExitAsync(s_step));
        await events.DisposeAsync();
    }

    private async Task<string> RunClientAsync(string home, string target, params string[] command)
    {
        var (code, stdout, stderr) = await ProcessRunner.RunAsync("dotnet", [samples.KeyValue, home, target, .. command], s_step);
        Assert.True(code == 0, $"kv {string.Join(' ', command)} exited {code}: {stderr}");
        return stdout.Trim();
    }

    /// <summary>A sample run with <c>dotnet</c>, its stdout read line by line; killed (with its children) when disposed.</summary>
    private sealed class SampleProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly System.Threading.Channels.Channel<string> _lines = System.Threading.Channels.Channel.CreateUnbounded<string>();
        private readonly System.Text.StringBuilder _stderr = new();

        private SampleProcess(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) _lines.Writer.TryComplete();
                else _lines.Writer.TryWrite(e.Data);
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public static SampleProcess Start(string dll, params string[] args)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(dll);
            foreach (var arg in args) info.ArgumentList.Add(arg);
            return new SampleProcess(Process.Start(info) ?? throw new InvalidOperationException($"cannot start {dll}"));
        }

        public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await foreach (var line in _lines.Reader.ReadAllAsync(deadline.Token))
                {
                    if (match(line)) return line;
                }
            }
            catch (OperationCanceledException)
            {
            }
            throw new TimeoutException($"no such line within {timeout.TotalSeconds} s; stderr: {Stderr}");
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(deadline.Token);
            return _process.ExitCode;
        }

        private string Stderr
        {
            get
            {
                lock (_stderr) return _stderr.ToString();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
