namespace Ferry.Client;

/// <summary>Why an SNTP query got no usable answer.</summary>
public enum SntpFailure
{
    /// <summary>No reply at all, after every retry.</summary>
    NoReply,
    /// <summary>The host's ICMP said nothing listens on that UDP port.</summary>
    Refused,
    /// <summary>Replies came, but none carried our transmit timestamp as its origin (stale, spoofed, or not for us).</summary>
    OriginMismatch,
    /// <summary>The server sent a kiss-o'-death (RATE: slow down; DENY/RSTR: go away).</summary>
    KissOfDeath,
    /// <summary>The server says its own clock is unsynchronized (leap indicator 3 or stratum 16).</summary>
    Unsynchronized,
    /// <summary>The host name does not resolve.</summary>
    Unresolved,
}

/// <summary>An SNTP query that failed, with a one-line reason that says what to do.</summary>
public sealed class SntpException(SntpFailure failure, string message) : Exception(message)
{
    /// <summary>What kind of failure it was, for callers that react differently to each.</summary>
    public SntpFailure Failure { get; } = failure;

    /// <summary>The kiss code (RATE, DENY, RSTR, ...) of a kiss-o'-death.</summary>
    public string? KissCode { get; init; }
}
