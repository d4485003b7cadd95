using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Ferry.Connections;
using Ferry.Protocol;

namespace Ferry.Cli.Demos.Sticky;

/// <summary>
/// The course's first cure — send the length, wait for "recv_ready", then send the data — against a length header,
/// both measured live on loopback. The handshake works, but pays a round trip per message; the header pays none.
/// </summary>
internal static class SlowFixCase
{
    public const int DefaultMessages = 2000;
    public const int MessageBytes = 64;
    public const int Trials = 3;
    private static readonly byte[] s_ready = "recv_ready"u8.ToArray();

    public static async Task<StickyCaseResult> RunAsync(int messages, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var steps = new List<StickyStep>();
        var message = new byte[MessageBytes];
        Encoding.ASCII.GetBytes(new string('x', MessageBytes)).CopyTo(message, 0);

        // Warm both paths (JIT, socket buffers) so the measurement compares protocols, not first-call costs.
        await HandshakeAsync(Math.Min(50, messages), message, null, ct).ConfigureAwait(false);
        await HeaderAsync(Math.Min(50, messages), message, ct).ConfigureAwait(false);

        // Best of a few alternating trials: on a shared machine one scheduler stall can swamp a short run, and the
        // stall says nothing about either protocol.
        var handshake = TimeSpan.MaxValue;
        var header = TimeSpan.MaxValue;
        for (int trial = 0; trial < Trials; trial++)
        {
            var h = await HandshakeAsync(messages, message, trial == 0 ? steps : null, ct).ConfigureAwait(false);
            if (h < handshake) handshake = h;
            var f = await HeaderAsync(messages, message, ct).ConfigureAwait(false);
            if (f < header) header = f;
        }
        steps.Add(new StickyStep("length header", "client", "send frame", MessageBytes, Printable.Of(message),
            $"each frame carries its size in its header: {messages} sent back to back, no replies needed"));

        var measurement = new SlowFixMeasurement(messages, MessageBytes,
            Math.Round(handshake.TotalSeconds, 4), Math.Round(header.TotalSeconds, 4),
            Math.Round(messages / handshake.TotalSeconds), Math.Round(messages / header.TotalSeconds));
        bool observed = measurement.HeaderMessagesPerSecond > measurement.HandshakeMessagesPerSecond;
        string ratio = measurement.Speedup.ToString("0.0", CultureInfo.InvariantCulture);
        return new StickyCaseResult("slow-fix", "The slow fix: a length handshake",
            $"{messages} messages of {MessageBytes} bytes each way, over one loopback connection per approach, Nagle off on both " +
            $"(so the handshake pays only its round trip, not Nagle's wait for an ACK); a 50-message warm-up first; timed from the first send until the receiver has the last message; best of {Trials} alternating trials each.",
            steps, observed,
            observed
                ? $"Length handshake: {measurement.HandshakeMessagesPerSecond:N0} messages/s; length header: {measurement.HeaderMessagesPerSecond:N0} messages/s ({ratio}× faster). " +
                  "Both keep messages whole, but the handshake stops to wait for 'recv_ready' before every message."
                : $"The header was not faster this time ({measurement.HeaderMessagesPerSecond:N0} vs {measurement.HandshakeMessagesPerSecond:N0} messages/s).",
            measurement);
    }

    /// <summary>Sender: "64\n", wait for recv_ready, send 64 bytes. Receiver: read the length line, answer recv_ready, read exactly that many bytes.</summary>
    private static async Task<TimeSpan> HandshakeAsync(int messages, byte[] message, List<StickyStep>? steps, CancellationToken ct)
    {
        using var pair = await LoopbackPair.OpenAsync(noDelay: true, ct).ConfigureAwait(false);
        var lengthLine = Encoding.ASCII.GetBytes(message.Length.ToString(CultureInfo.InvariantCulture) + "\n");
        var clock = Stopwatch.StartNew();
        var receiving = ReceiveWithHandshakeAsync(pair.Server, messages, ct);
        var ready = new byte[s_ready.Length];
        for (int i = 0; i < messages; i++)
        {
            await LoopbackPair.SendAllAsync(pair.Client, lengthLine, ct).ConfigureAwait(false);
            await LoopbackPair.ReceiveExactlyAsync(pair.Client, ready, ct).ConfigureAwait(false);
            await LoopbackPair.SendAllAsync(pair.Client, message, ct).ConfigureAwait(false);
            if (i == 0 && steps is not null)
            {
                steps.Add(new StickyStep("length handshake", "client", "send", lengthLine.Length, Printable.Of(lengthLine), "first, the length of the message to come"));
                steps.Add(new StickyStep("length handshake", "server", "send", ready.Length, Printable.Of(ready), "the receiver says it is ready: a full round trip before any data moves"));
                steps.Add(new StickyStep("length handshake", "client", "send", message.Length, Printable.Of(message), $"then the {message.Length} bytes; the receiver reads exactly that many"));
            }
        }
        int received = await receiving.ConfigureAwait(false);
        clock.Stop();
        if (received != messages) throw new InvalidOperationException($"the handshake receiver got {received} of {messages} messages");
        return clock.Elapsed;
    }

    private static async Task<int> ReceiveWithHandshakeAsync(Socket socket, int messages, CancellationToken ct)
    {
        var line = new byte[16];
        var body = new byte[64 * 1024];
        for (int i = 0; i < messages; i++)
        {
            // The sender sends nothing after the length until we answer, so reading up to '\n' never eats data.
            int filled = 0;
            while (filled == 0 || line[filled - 1] != (byte)'\n')
            {
                if (filled == line.Length) throw new InvalidDataException("the length line is too long");
                int n = await socket.ReceiveAsync(line.AsMemory(filled), SocketFlags.None, ct).ConfigureAwait(false);
                if (n == 0) return i;
                filled += n;
            }
            int length = int.Parse(line.AsSpan(0, filled - 1), NumberStyles.None, CultureInfo.InvariantCulture);
            if (length > body.Length) throw new InvalidDataException($"a {length}-byte message is larger than this demo expects");
            await LoopbackPair.SendAllAsync(socket, s_ready, ct).ConfigureAwait(false);
            await LoopbackPair.ReceiveExactlyAsync(socket, body.AsMemory(0, length), ct).ConfigureAwait(false);
        }
        return messages;
    }

    /// <summary>Sender: frames back to back through FrameConnection. Receiver: FrameConnection's read loop, counting whole frames.</summary>
    private static async Task<TimeSpan> HeaderAsync(int messages, byte[] message, CancellationToken ct)
    {
        using var pair = await LoopbackPair.OpenAsync(noDelay: true, ct).ConfigureAwait(false);
        await using var link = FramedLink.Open(pair);
        var counter = new Counter(message.Length);
        var clock = Stopwatch.StartNew();
        var receiving = link.Receiver.RunAsync(counter, ct);
        for (int i = 0; i < messages; i++)
        {
            await link.Sender.SendAsync<object>(MessageTypes.Echo, i + 1, null, null, message, ct).ConfigureAwait(false);
        }
        await link.FinishSendingAsync().ConfigureAwait(false);
        await receiving.ConfigureAwait(false);
        clock.Stop();
        if (counter.Whole != messages) throw new InvalidOperationException($"the header receiver got {counter.Whole} whole messages of {messages}");
        return clock.Elapsed;
    }

    private sealed class Counter(int expectedSize) : IFrameHandler
    {
        public int Whole { get; private set; }

        public async ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
        {
            if (body.Length == expectedSize) Whole++;
            await body.SkipAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
