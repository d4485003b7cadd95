using Ferry.Connections;
using Ferry.Protocol;

namespace Ferry.Cli.Demos.Sticky;

/// <summary>
/// The cure: the same three situations through Ferry's real <see cref="FrameCodec"/> and <see cref="FrameConnection"/>.
/// Each frame starts with a 4-byte length and a JSON header carrying the body's size, so the reader always knows
/// where a message ends, however the bytes were merged or split on the way.
/// </summary>
internal static class FramedStickyCases
{
    private static readonly TimeSpan s_partTimeout = TimeSpan.FromSeconds(10);

    public static async Task<StickyCaseResult> FixAsync(CancellationToken cancellationToken)
    {
        var steps = new List<StickyStep>();
        var merges = await RunPartAsync("sender-merges", ["hello"u8.ToArray(), "feng"u8.ToArray()], _ => int.MaxValue, steps, cancellationToken).ConfigureAwait(false);
        bool mergesOk = merges.Whole && merges.Reads.Count == 1;
        var splits = await RunPartAsync("receiver-splits", ["hello feng"u8.ToArray()], read => read == 0 ? 2 : 10, steps, cancellationToken).ConfigureAwait(false);
        bool splitsOk = splits.Whole && splits.Reads.Count > 1 && splits.Reads[0] == 2;
        var listing = DemoData.DirectoryListing();
        var overflow = await RunPartAsync("big-reply-overflows", [listing, DemoData.WorkingDirectory()], _ => 1024, steps, cancellationToken).ConfigureAwait(false);
        bool overflowOk = overflow.Whole && overflow.Reads.Count > 1 && overflow.Reads.All(r => r <= 1024);
        bool observed = mergesOk && splitsOk && overflowOk;
        return new StickyCaseResult("fix", "The fix: a length header (Ferry's framing)",
            "The same three situations through Ferry's FrameConnection, with the same timing: Nagle on, the receiver " +
            "started reading only once every byte had arrived; its socket reads were left whole (merge), capped at 2 then 10 bytes (split), " +
            "and capped at 1024 bytes (big reply).",
            steps, observed,
            observed
                ? $"Every message came out whole: 2 frames from 1 socket read, 1 frame from {splits.Reads.Count} reads, " +
                  $"a {listing.Length}-byte reply from {overflow.Reads.Count} reads of at most 1024. The header says how many bytes the body has, so the reader stops exactly there."
                : $"A message did not come out whole (merge ok: {mergesOk}, split ok: {splitsOk}, big reply ok: {overflowOk}).");
    }

    private sealed record PartResult(bool Whole, List<int> Reads);

    private static async Task<PartResult> RunPartAsync(string part, byte[][] messages, Func<int, int> readCap, List<StickyStep> steps, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_partTimeout);
        var ct = timeout.Token;
        using var pair = await LoopbackPair.OpenAsync(noDelay: false, ct).ConfigureAwait(false);
        var reads = new List<int>();
        await using var link = FramedLink.Open(pair, readCap, bytes =>
        {
            reads.Add(bytes.Length);
            steps.Add(new StickyStep(part, "server", "socket read", bytes.Length, Printable.Of(bytes),
                reads.Count == 1 ? "raw bytes off the socket (length, JSON header, body); the codec keeps them until a frame is whole" : "more raw bytes"));
        });
        long id = 0;
        foreach (var message in messages)
        {
            long before = link.Sender.BytesOut;
            await link.Sender.SendAsync<object>(MessageTypes.Echo, ++id, null, null, message, ct).ConfigureAwait(false);
            long wire = link.Sender.BytesOut - before;
            steps.Add(new StickyStep(part, "client", "send frame", (int)wire, Printable.Of(message),
                $"the message + {wire - message.Length} bytes of length and header"));
        }
        int total = (int)link.Sender.BytesOut;
        await link.FinishSendingAsync().ConfigureAwait(false);
        await LoopbackPair.WaitForBytesAsync(pair.Server, total, ct).ConfigureAwait(false);
        var collector = new Collector(part, steps);
        var reason = await link.Receiver.RunAsync(collector, ct).ConfigureAwait(false);
        bool whole = reason == CloseReason.PeerClosed
            && collector.Bodies.Count == messages.Length
            && collector.Bodies.Zip(messages).All(p => p.First.AsSpan().SequenceEqual(p.Second));
        return new PartResult(whole, reads);
    }

    private sealed class Collector(string part, List<StickyStep> steps) : IFrameHandler
    {
        public List<byte[]> Bodies { get; } = [];

        public async ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
        {
            long size = header.Size;
            var bytes = await body.ReadAllAsync(64 * 1024, cancellationToken).ConfigureAwait(false);
            Bodies.Add(bytes);
            steps.Add(new StickyStep(part, "server", "frame", bytes.Length, Printable.Of(bytes),
                $"whole: the header said size={size}"));
        }
    }
}
