using System.Buffers;
using System.Text;
using System.Text.Json;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Fuzz;

/// <summary>
/// Issue 14, "keep them out", over a real socket: 2,000 random and mutated frames against a real server (TLS, key
/// login, exec, files and chat on). The codec itself is the oracle: a frame it refuses must be answered by the
/// server closing the connection (after at most an error frame); a frame it accepts must be answered without
/// closing and without an <c>internal</c> error, and a ping sent after it must still come back. Afterwards a fresh
/// client is served. The random seed is printed on failure, so a failing run can be repeated.
/// </summary>
public sealed class SocketFuzzTests : IDisposable
{
    private const int Frames = 2000;
    private readonly string _root = TempDirectory.Create("ferry-fuzz-root");
    private readonly string _exec = TempDirectory.Create("ferry-fuzz-exec");

    public void Dispose()
    {
        TempDirectory.TryDelete(_root);
        TempDirectory.TryDelete(_exec);
    }

    private static readonly string[] s_seeds =
    [
        """{"type":"echo","id":7,"size":3,"upper":true}""",
        """{"type":"ping","id":7}""",
        """{"type":"cancel","id":7}""",
        """{"type":"stats","id":7}""",
        """{"type":"hello","id":7,"version":1}""",
        """{"type":"auth.key.start","id":7}""",
        """{"type":"exec.start","id":7,"command":"true","timeout":2}""",
        """{"type":"exec.stdin","id":7,"size":2,"eof":true}""",
        """{"type":"exec.signal","id":7,"signal":"TERM"}""",
        """{"type":"file.put","id":7,"path":"d/a.bin","length":3,"mode":420,"force":true}""",
        """{"type":"file.data","id":7,"size":3,"offset":0}""",
        """{"type":"file.done","id":7,"sha256":"039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"}""",
        """{"type":"file.get","id":7,"path":"d/a.bin","offset":0}""",
        """{"type":"file.list","id":7,"path":"","recursive":true}""",
        """{"type":"file.stat","id":7,"path":"d"}""",
        """{"type":"file.mkdir","id":7,"path":"d/e","parents":true}""",
        """{"type":"file.remove","id":7,"path":"d/e","recursive":true}""",
        """{"type":"chat.join","id":7,"room":"fuzz","nick":"f"}""",
        """{"type":"chat.say","id":7,"size":2,"room":"fuzz"}""",
        """{"type":"chat.msg","id":7,"size":2,"to":"f"}""",
        """{"type":"chat.nick","id":7,"nick":"g"}""",
        """{"type":"chat.who","id":7,"room":"fuzz"}""",
        """{"type":"chat.rooms","id":7}""",
        """{"type":"chat.leave","id":7,"room":"fuzz"}""",
        """{"type":"time.get","id":7}""",
    ];

    [Fact]
    public async Task Issue14_RandomAndMutatedFramesAreAnsweredOrClosedAndTheServerKeepsServing()
    {
        int seed = Environment.TickCount;
        var random = new Random(seed);
        await File.WriteAllTextAsync(Path.Combine(_root, "x"), "keep");
        // Plaintext: the same framing and services, without a TLS handshake for each of the many reconnects.
        await using var server = await TestServer.StartPlaintextAsync(o =>
        {
            o.Files.Root = _root;
            o.Exec.Enabled = true;
            o.Exec.Directory = _exec;
            o.Exec.MaxDuration = TimeSpan.FromSeconds(2);
        });
        // 2,000 frames take about 20 s on an idle machine; on a loaded one the run stops at its budget instead,
        // having judged at least a few hundred.
        var budget = System.Diagnostics.Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var ct = timeout.Token;
        var problems = new List<string>();
        int refusedAndClosed = 0, answered = 0, skipped = 0;
        long pingId = 1_000_000_000;
        Stream? stream = null;
        try
        {
            for (int i = 0; i < Frames && problems.Count < 10 && budget.Elapsed < TimeSpan.FromSeconds(90); i++)
            {
                stream ??= await server.OpenAuthenticatedRawStreamAsync(cancellationToken: ct);
                var frame = NextFrame(random);
                var verdict = Judge(frame, out long bodySize);
                if (verdict == Verdict.Incomplete || bodySize > 1 << 20)
                {
                    skipped++; // the server would rightly wait for the rest; nothing to learn without it
                    continue;
                }
                var body = new byte[bodySize];
                random.NextBytes(body);
                await stream.WriteAsync(frame.Concat(body).ToArray(), ct);
                if (verdict == Verdict.Refused)
                {
                    var ending = await ReadUntilClosedAsync(stream, ct);
                    if (ending is not null) problems.Add($"refused frame {Show(frame)}: {ending}");
                    refusedAndClosed++;
                    await stream.DisposeAsync();
                    stream = null;
                    continue;
                }
                long ping = ++pingId;
                await stream.WriteAsync(RawFrames.Frame($$"""{"type":"ping","id":{{ping}}}"""), ct);
                var (problem, closed) = await ReadUntilPongAsync(stream, ping, ct);
                answered++;
                if (problem is not null) problems.Add($"accepted frame {Show(frame)}: {problem}");
                if (problem is not null || closed)
                {
                    await stream.DisposeAsync();
                    stream = null;
                }
            }
        }
        finally
        {
            if (stream is not null) await stream.DisposeAsync();
        }
        Assert.True(problems.Count == 0, $"seed {seed}:\n" + string.Join("\n", problems));
        Assert.True(refusedAndClosed > 20 && answered > 200, $"seed {seed}: too few of either kind ({refusedAndClosed} refused, {answered} answered, {skipped} skipped)");

        // Still serving: a fresh client, through the library, gets its echo.
        await using var client = await server.ConnectAsync();
        Assert.Equal("still here", Encoding.UTF8.GetString(await client.EchoAsync(Encoding.UTF8.GetBytes("still here"), cancellationToken: ct)));
        Assert.Equal("keep", await File.ReadAllTextAsync(Path.Combine(_root, "x"), ct));
    }

    private enum Verdict { Accepted, Refused, Incomplete }

    /// <summary>What the server's own codec makes of the frame (the server reads with the same code and limits).</summary>
    private static Verdict Judge(byte[] frame, out long bodySize)
    {
        bodySize = 0;
        try
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(frame));
            if (!FrameCodec.TryReadHeader(ref reader, FrameCodec.DefaultMaxHeaderBytes, out var header)) return Verdict.Incomplete;
            if (reader.Remaining != 0) return Verdict.Incomplete; // the mutation left bytes that would start another frame
            bodySize = header.Size;
            // A request without an id is refused like a framing error (protocol.md §3.4: a final bad_id, then close).
            return header.Id == 0 ? Verdict.Refused : Verdict.Accepted;
        }
        catch (ProtocolException)
        {
            return Verdict.Refused;
        }
    }

    private const string JsonBytes = "{}[]\",:0123456789e-\\u";

    private static byte[] NextFrame(Random random)
    {
        double kind = random.NextDouble();
        if (kind < 0.05)
        {
            var garbage = new byte[random.Next(4, 200)];
            random.NextBytes(garbage);
            return garbage;
        }
        var header = Encoding.UTF8.GetBytes(s_seeds[random.Next(s_seeds.Length)].Replace("\"id\":7", $"\"id\":{random.Next(1, 40)}"));
        if (kind < 0.35) return RawFrames.Frame(header); // valid as it is: the services' own checks answer
        var bytes = header.ToList();
        for (int edits = random.Next(1, 5); edits > 0; edits--)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.Insert(at, (byte)JsonBytes[random.Next(JsonBytes.Length)]); break;
                case 2: bytes.RemoveAt(at); break;
                default: bytes[at] = (byte)random.Next(32, 127); break;
            }
            if (bytes.Count == 0) bytes.Add((byte)'{');
        }
        var frame = RawFrames.Frame([.. bytes]);
        if (random.NextDouble() < 0.05) frame[random.Next(4)] = (byte)random.Next(256); // the length prefix itself
        return frame;
    }

    /// <summary>Null when the server closed (error frames before that are fine); otherwise what it did instead.</summary>
    private static async Task<string?> ReadUntilClosedAsync(Stream stream, CancellationToken ct)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            while (await RawFrames.ReadFrameAsync(stream, patience.Token) is { } frame)
            {
                if (Code(frame.Header) == "internal") return $"internal error {frame.Header}";
            }
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return "the server kept the connection open";
        }
        catch (IOException)
        {
            return null; // reset: closed too
        }
    }

    /// <summary>No problem when the pong came back with no internal error before it, or after a documented close.</summary>
    private static async Task<(string? Problem, bool Closed)> ReadUntilPongAsync(Stream stream, long ping, CancellationToken ct)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(TimeSpan.FromSeconds(15));
        string? lastError = null;
        try
        {
            while (true)
            {
                var frame = await RawFrames.ReadFrameAsync(stream, patience.Token);
                if (frame is null)
                {
                    // A final error on id 0 (e.g. a chat member too slow) is a documented close; anything else is not.
                    return (lastError is not null && IsFinal(lastError) ? null : $"closed the connection (last error {lastError})", true);
                }
                using var doc = JsonDocument.Parse(frame.Value.Header);
                var root = doc.RootElement;
                if (Code(frame.Value.Header) == "internal") return ($"internal error {frame.Value.Header}", false);
                if (root.GetProperty("type").GetString() == "error") lastError = frame.Value.Header;
                if (root.GetProperty("type").GetString() == "pong" && root.GetProperty("id").GetInt64() == ping) return (null, false);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ("no pong within 15 s", false);
        }
    }

    private static bool IsFinal(string error)
    {
        using var doc = JsonDocument.Parse(error);
        return !doc.RootElement.TryGetProperty("id", out var id) || id.GetInt64() == 0;
    }

    private static string? Code(string header)
    {
        using var doc = JsonDocument.Parse(header);
        return doc.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
    }

    private static string Show(byte[] frame) =>
        Convert.ToHexString(frame.AsSpan(0, Math.Min(4, frame.Length))) + " " + Encoding.UTF8.GetString(frame.AsSpan(Math.Min(4, frame.Length))).ReplaceLineEndings("\\n");
}
