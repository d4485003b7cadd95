namespace Ferry.Cli.Demos.Sticky;

/// <summary>
/// <c>ferry demo sticky</c>: TCP's "sticky packets" shown on real loopback sockets in this process, then cured.
/// Each case returns what it did and saw, and whether the effect it claims happened.
/// </summary>
internal static class StickyDemo
{
    public sealed record CaseInfo(string Name, string Summary);

    public static IReadOnlyList<CaseInfo> Cases { get; } =
    [
        new("sender-merges", "two quick sends arrive as one read"),
        new("receiver-splits", "one send comes out in two reads"),
        new("big-reply-overflows", "a reply longer than the 1024-byte read spills into the next reply"),
        new("fix", "the same three through Ferry's length-prefixed frames: every message whole"),
        new("slow-fix", "the course's 'send length, wait for recv_ready' handshake vs a header, messages/s measured"),
    ];

    public static bool IsCase(string name) => Cases.Any(c => c.Name == name);

    public static Task<StickyCaseResult> RunAsync(string name, int slowFixMessages = SlowFixCase.DefaultMessages, CancellationToken cancellationToken = default) => name switch
    {
        "sender-merges" => RawStickyCases.SenderMergesAsync(cancellationToken),
        "receiver-splits" => RawStickyCases.ReceiverSplitsAsync(cancellationToken),
        "big-reply-overflows" => RawStickyCases.BigReplyOverflowsAsync(cancellationToken),
        "fix" => FramedStickyCases.FixAsync(cancellationToken),
        "slow-fix" => SlowFixCase.RunAsync(slowFixMessages, cancellationToken),
        _ => throw new ArgumentException($"no sticky demo case named '{name}'", nameof(name)),
    };
}
