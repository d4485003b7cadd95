using System.Text;

namespace Ferry.Cli.Demos.Sticky;

/// <summary>The three ways raw TCP "sticks" messages, each made to happen on every run (see each Arranged text).</summary>
internal static class RawStickyCases
{
    public static async Task<StickyCaseResult> SenderMergesAsync(CancellationToken cancellationToken)
    {
        using var pair = await LoopbackPair.OpenAsync(noDelay: false, cancellationToken).ConfigureAwait(false);
        var steps = new List<StickyStep>();
        await Send(pair.Client, "client", "hello", "first message", steps, cancellationToken).ConfigureAwait(false);
        await Send(pair.Client, "client", "feng", "second message, straight after", steps, cancellationToken).ConfigureAwait(false);
        await LoopbackPair.WaitForBytesAsync(pair.Server, 9, cancellationToken).ConfigureAwait(false);
        var read = await LoopbackPair.ReceiveOnceAsync(pair.Server, 10, cancellationToken).ConfigureAwait(false);
        string got = Encoding.ASCII.GetString(read);
        steps.Add(new StickyStep(null, "server", "recv(10)", read.Length, Printable.Of(read),
            "one read returns both messages: nothing in the bytes says where 'hello' ended"));
        bool observed = got == "hellofeng";
        return new StickyCaseResult("sender-merges", "The sender's messages merge",
            "Nagle's algorithm on (the default); the server waited until all 9 bytes were in its socket buffer (Socket.Available) before its first recv(10).",
            steps, observed,
            observed
                ? "Two sends arrived as one read, 'hellofeng'. TCP is a byte stream: it keeps the bytes in order but not the boundaries between sends."
                : $"Expected one read of 'hellofeng', got '{got}'.");
    }

    public static async Task<StickyCaseResult> ReceiverSplitsAsync(CancellationToken cancellationToken)
    {
        using var pair = await LoopbackPair.OpenAsync(noDelay: false, cancellationToken).ConfigureAwait(false);
        var steps = new List<StickyStep>();
        await Send(pair.Client, "client", "hello feng", "one message of 10 bytes", steps, cancellationToken).ConfigureAwait(false);
        await LoopbackPair.WaitForBytesAsync(pair.Server, 10, cancellationToken).ConfigureAwait(false);
        var first = await LoopbackPair.ReceiveOnceAsync(pair.Server, 2, cancellationToken).ConfigureAwait(false);
        steps.Add(new StickyStep(null, "server", "recv(2)", first.Length, Printable.Of(first),
            "the reader asked for 2 bytes and got 2; the other 8 stay in the socket buffer"));
        var second = await LoopbackPair.ReceiveOnceAsync(pair.Server, 10, cancellationToken).ConfigureAwait(false);
        steps.Add(new StickyStep(null, "server", "recv(10)", second.Length, Printable.Of(second),
            "the next read gets the rest: one message came out as two pieces"));
        bool observed = Encoding.ASCII.GetString(first) == "he" && Encoding.ASCII.GetString(second) == "llo feng";
        return new StickyCaseResult("receiver-splits", "The receiver splits a message",
            "The server waited until all 10 bytes had arrived, then read exactly 2 bytes, then up to 10.",
            steps, observed,
            observed
                ? "One send came out as 'he' + 'llo feng'. How much a read returns depends on the reader, not on how the data was sent."
                : $"Expected 'he' then 'llo feng', got '{Encoding.ASCII.GetString(first)}' then '{Encoding.ASCII.GetString(second)}'.");
    }

    public static async Task<StickyCaseResult> BigReplyOverflowsAsync(CancellationToken cancellationToken)
    {
        using var pair = await LoopbackPair.OpenAsync(noDelay: false, cancellationToken).ConfigureAwait(false);
        var steps = new List<StickyStep>();
        byte[] listing = DemoData.DirectoryListing();
        byte[] pwd = DemoData.WorkingDirectory();

        await Send(pair.Client, "client", "ls -l", "the remote shell's first command", steps, cancellationToken).ConfigureAwait(false);
        await ServerReadsCommandAsync(pair, 5, steps, cancellationToken).ConfigureAwait(false);
        await LoopbackPair.SendAllAsync(pair.Server, listing, cancellationToken).ConfigureAwait(false);
        steps.Add(new StickyStep(null, "server", "send", listing.Length, Printable.Of(listing),
            $"the command's output: {listing.Length} bytes, more than the client's 1024-byte read"));
        await LoopbackPair.WaitForBytesAsync(pair.Client, listing.Length, cancellationToken).ConfigureAwait(false);
        var firstReply = await LoopbackPair.ReceiveOnceAsync(pair.Client, 1024, cancellationToken).ConfigureAwait(false);
        steps.Add(new StickyStep(null, "client", "recv(1024)", firstReply.Length, Printable.Of(firstReply),
            $"the client prints this as the whole output; {listing.Length - firstReply.Length} bytes are left behind in its socket buffer"));

        await Send(pair.Client, "client", "pwd", "the next command", steps, cancellationToken).ConfigureAwait(false);
        await ServerReadsCommandAsync(pair, 3, steps, cancellationToken).ConfigureAwait(false);
        await LoopbackPair.SendAllAsync(pair.Server, pwd, cancellationToken).ConfigureAwait(false);
        steps.Add(new StickyStep(null, "server", "send", pwd.Length, Printable.Of(pwd), "pwd's real output"));
        int leftover = listing.Length - firstReply.Length;
        await LoopbackPair.WaitForBytesAsync(pair.Client, leftover + pwd.Length, cancellationToken).ConfigureAwait(false);
        var secondReply = await LoopbackPair.ReceiveOnceAsync(pair.Client, 1024, cancellationToken).ConfigureAwait(false);
        steps.Add(new StickyStep(null, "client", "recv(1024)", secondReply.Length, Printable.Of(secondReply),
            "the 'answer' to pwd starts with the rest of ls -l's output: the replies are out of step from now on"));

        bool observed = firstReply.Length == 1024
            && secondReply.AsSpan().StartsWith(listing.AsSpan(1024))
            && secondReply.AsSpan().EndsWith(pwd)
            && secondReply.Length == leftover + pwd.Length;
        return new StickyCaseResult("big-reply-overflows", "A big reply spills into the next one",
            "As in the course's remote shell, the client reads each reply with one recv(1024). Before each read it waited until the whole reply had arrived, so what it misses is not late, just left behind.",
            steps, observed,
            observed
                ? $"The client read 1024 of {listing.Length} bytes of ls -l; the remaining {leftover} came out as the start of pwd's reply. Reading 'up to N bytes' is not reading 'one message'."
                : "The overflow did not show as expected.");
    }

    private static async Task ServerReadsCommandAsync(LoopbackPair pair, int length, List<StickyStep> steps, CancellationToken cancellationToken)
    {
        await LoopbackPair.WaitForBytesAsync(pair.Server, length, cancellationToken).ConfigureAwait(false);
        var command = await LoopbackPair.ReceiveOnceAsync(pair.Server, 1024, cancellationToken).ConfigureAwait(false);
        steps.Add(new StickyStep(null, "server", "recv(1024)", command.Length, Printable.Of(command), "the server runs the command"));
    }

    private static async Task Send(System.Net.Sockets.Socket socket, string side, string text, string why, List<StickyStep> steps, CancellationToken cancellationToken)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        await LoopbackPair.SendAllAsync(socket, bytes, cancellationToken).ConfigureAwait(false);
        steps.Add(new StickyStep(null, side, "send", bytes.Length, text, why));
    }
}
