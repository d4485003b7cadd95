using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Cli;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Exec;
using Spectre.Console;

namespace Ferry.Tests.Cli;

/// <summary>
/// Issue 13 item 8, "output for people and for programs": plain columns in pipes, boxes on terminals, and a
/// --json that parses on every command that reports a result, in one style (camelCase, ISO 8601 UTC, bytes).
/// </summary>
public class OutputTests
{
    private static readonly System.Buffers.SearchValues<char> s_boxDrawing = System.Buffers.SearchValues.Create("│─╭╮╰╯┼├┤");

    [Fact]
    public async Task ATableWrittenIntoAPipeIsPlainAlignedColumns()
    {
        using var home = new ScratchHome();
        await AddUserAsync(home, "ann", "exec,chat");
        await AddUserAsync(home, "bartholomew", "files:read");
        var list = await CliHarness.RunAsync(["user", "list", "--data", home.Path]); // the harness's stdout is not a terminal
        Assert.Equal(0, list.ExitCode);
        Assert.Equal(-1, list.StdOut.AsSpan().IndexOfAny(s_boxDrawing));
        var lines = list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^user\s+rights\s+iterations$", lines[0]);
        Assert.Matches(@"^ann\s+chat, exec\s+\d[\d,]*$|^ann\s+exec, chat\s+\d[\d,]*$", lines[1]);
        // Aligned: every row's second column starts where the header's does.
        int rights = lines[0].IndexOf("rights", StringComparison.Ordinal);
        Assert.All(lines[1..], line => Assert.NotEqual(' ', line[rights]));
        Assert.All(lines[1..], line => Assert.Equal(' ', line[rights - 1]));
    }

    [Fact]
    public async Task ATableOnATerminalKeepsItsBoxes()
    {
        using var home = new ScratchHome();
        await AddUserAsync(home, "ann", "exec");
        var stdout = new MemoryStream();
        var writer = new StreamWriter(stdout, new UTF8Encoding(false)) { AutoFlush = true };
        var terminal = new CliContext
        {
            Out = writer,
            Error = new StringWriter(),
            StdOut = stdout,
            StdIn = new MemoryStream(),
            Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No }),
            StdOutIsTerminal = true,
        };
        Assert.Equal(0, await Program.RunAsync(["user", "list", "--data", home.Path], terminal, CancellationToken.None));
        Assert.Contains("│", Encoding.UTF8.GetString(stdout.ToArray()));
    }

    [Fact]
    public async Task TheRealProcessSeesThePipeAndPrintsPlainColumns()
    {
        using var home = new ScratchHome();
        await AddUserAsync(home, "ann", "exec");
        var run = await RunCliProcessAsync(home, ["user", "list", "--data", home.Path]);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(-1, run.StdOut.AsSpan().IndexOfAny(s_boxDrawing));
        Assert.Matches(@"(?m)^ann\s+exec\s+[\d,]+$", run.StdOut);
    }

    [Fact]
    public async Task EchoJsonParses()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["echo", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--upper", "--json", "hi", "there"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        var root = doc.RootElement;
        Assert.Equal("HI THERE", root.GetProperty("reply").GetString());
        Assert.Equal(Convert.ToBase64String("HI THERE"u8), root.GetProperty("replyBase64").GetString());
        Assert.Equal(8, root.GetProperty("bytes").GetInt32());
        Assert.True(root.GetProperty("upper").GetBoolean());
        Assert.True(root.GetProperty("roundTripSeconds").GetDouble() > 0);
        AssertCamelCase(root);
    }

    [Fact]
    public async Task ExecJsonReportsTheEndAndTheOutputAndKeepsTheExitCode()
    {
        await using var server = await ExecTestServer.StartAsync();
        var result = await CliHarness.RunAsync(["exec", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--json", "--no-stdin", "--",
            "printf 'out\\n'; printf 'err' >&2; exit 3"]);
        Assert.Equal(3, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("exitCode").GetInt32());
        Assert.False(root.GetProperty("timedOut").GetBoolean());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("signal").ValueKind);
        Assert.Equal("out\n", root.GetProperty("stdout").GetString());
        Assert.Equal("err", root.GetProperty("stderr").GetString());
        Assert.Equal(4, root.GetProperty("stdoutBytes").GetInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("stdoutBase64").ValueKind);
        Assert.Contains("exit 3", root.GetProperty("command").GetString());
        Assert.Contains("printf 'err' >&2", result.StdOut, StringComparison.Ordinal); // readable, not \u003E\u0026
        AssertCamelCase(root);
    }

    [Fact]
    public async Task KeyShowJsonParsesAndKeyShowNeverCreatesAKey()
    {
        using var home = new ScratchHome();
        var missing = Path.Combine(home.Path, "nobody-here");
        var refused = await CliHarness.RunAsync(["key", "show", "--data", missing]);
        Assert.Equal(ExitCodes.Error, refused.ExitCode);
        Assert.Equal("", refused.StdOut);
        var line = Assert.Single(refused.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no key at", line);
        Assert.Contains("ferry key rotate", line);
        Assert.False(Directory.Exists(missing), "key show created the state folder");

        var rotate = await CliHarness.RunAsync(["key", "rotate", "--data", home.Path]);
        Assert.Equal(0, rotate.ExitCode);
        var show = await CliHarness.RunAsync(["key", "show", "--data", home.Path, "--json"]);
        Assert.Equal(0, show.ExitCode);
        using var doc = JsonDocument.Parse(show.StdOut);
        Assert.Equal(File.ReadAllText(Path.Combine(home.Path, "key")).Trim(), doc.RootElement.GetProperty("key").GetString());
        Assert.Equal(Path.Combine(home.Path, "key"), doc.RootElement.GetProperty("keyFile").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("certificateFingerprint").ValueKind); // no serve yet
        AssertCamelCase(doc.RootElement);
    }

    [Fact]
    public async Task UserListJsonParses()
    {
        using var home = new ScratchHome();
        await AddUserAsync(home, "ann", "exec");
        var list = await CliHarness.RunAsync(["user", "list", "--data", home.Path, "--json"]);
        using var doc = JsonDocument.Parse(list.StdOut);
        var ann = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("ann", ann.GetProperty("name").GetString());
        Assert.Equal("exec", Assert.Single(ann.GetProperty("rights").EnumerateArray()).GetString());
        AssertCamelCase(doc.RootElement);
    }

    [Fact]
    public async Task StatsJsonIsCamelCaseCountersIncluded()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["stats", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.Equal(0, doc.RootElement.GetProperty("counters").GetProperty("exec.processesRunning").GetInt64());
        Assert.Equal(0, doc.RootElement.GetProperty("counters").GetProperty("files.transfersInProgress").GetInt64());
        AssertCamelCase(doc.RootElement, skip: "requests"); // keyed by message type
    }

    [Fact]
    public async Task SubnetJsonParses()
    {
        var result = await CliHarness.RunAsync(["subnet", "10.1.2.3/8", "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        AssertCamelCase(doc.RootElement);
    }

    [Fact]
    public async Task ChatJsonTimesAreIso8601Utc()
    {
        await using var server = await TestServer.StartAsync();
        var target = $"127.0.0.1:{server.EndPoint.Port}";
        var said = await CliHarness.RunAsync(["chat", target, .. server.ClientArgs, "--nick", "ann", "--room", "json", "--send", "hello"]);
        Assert.Equal(0, said.ExitCode);
        // The reader sees ann's message from the room's history, then its own join.
        var result = await CliHarness.RunAsync(["chat", target, .. server.ClientArgs, "--nick", "bob", "--room", "json", "--json", "--wait", "0.3"]);
        Assert.Equal(0, result.ExitCode);
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("time", out var time))
            {
                Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", time.GetString()!);
            }
            AssertCamelCase(doc.RootElement);
        }
    }

    [Fact]
    public async Task BenchEchoJsonParses()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["bench", "echo", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs,
            "--duration", "0.3", "--warmup", "0", "--connections", "1", "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.True(doc.RootElement.GetProperty("messages").GetInt64() > 0);
        AssertCamelCase(doc.RootElement);
    }

    [Fact]
    public async Task TheCliWordsTheServersAdviceAsItsOwnFlags()
    {
        await using var server = await TestServer.StartAsync();
        Directory.CreateDirectory(Path.Combine(server.DataDirectory, "files", "full"));
        File.WriteAllText(Path.Combine(server.DataDirectory, "files", "full", "x"), "x");
        var client = await server.ConnectAsync();
        var refused = await Assert.ThrowsAsync<Ferry.Protocol.FerryException>(() => client.RemoveAsync("full"));
        Assert.Contains("set 'recursive'", refused.Message, StringComparison.Ordinal); // the library user reads protocol words
        var (_, line) = CliErrorHandler.Classify(refused);
        Assert.Contains("use -r to remove it", line, StringComparison.Ordinal);
        Assert.DoesNotContain("'recursive'", line, StringComparison.Ordinal);
    }

    internal static void AssertCamelCase(JsonElement element, string? skip = null)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray()) AssertCamelCase(item, skip);
            return;
        }
        if (element.ValueKind != JsonValueKind.Object) return;
        foreach (var property in element.EnumerateObject())
        {
            Assert.Matches(@"^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)*$", property.Name);
            if (property.Name != skip) AssertCamelCase(property.Value, skip);
        }
    }

    private static async Task AddUserAsync(ScratchHome home, string name, string rights)
    {
        var added = await CliHarness.RunAsync(["user", "add", name, "--can", rights, "--iterations", "4096", "--data", home.Path], Encoding.UTF8.GetBytes("secret-pw\n"));
        Assert.True(added.ExitCode == 0, added.StdErr);
    }

    internal static async Task<(int ExitCode, string StdOut, string StdErr)> RunCliProcessAsync(ScratchHome home, string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Ferry.Cli.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["FERRY_HOME"] = home.Path;
        using var process = Process.Start(info)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A state folder of its own, deleted afterwards.</summary>
    internal sealed class ScratchHome : IDisposable
    {
        public string Path { get; } = TempDirectory.Create("ferry-output");

        public void Dispose() => TempDirectory.TryDelete(Path);
    }
}
