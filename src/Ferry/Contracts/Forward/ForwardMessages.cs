using System.Text.Json.Serialization;

namespace Ferry.Contracts.Forward;

/// <summary>
/// The numbers both ends of a forwarded TCP stream agree on (docs/protocol.md §5.9): how much one side may send before
/// the other grants more, and the bounds a <c>window</c> field must fall in.
/// </summary>
public static class ForwardLimits
{
    /// <summary>The receive window a side offers when it names none: bytes the peer may send before <c>forward.credit</c>.</summary>
    public const int DefaultWindowBytes = 1024 * 1024;

    /// <summary>The smallest window a side may offer.</summary>
    public const int MinWindowBytes = 1024;

    /// <summary>The largest window a side may offer.</summary>
    public const int MaxWindowBytes = 16 * 1024 * 1024;

    /// <summary>The most bytes one <c>forward.data</c> frame carries as Ferry sends it (a peer may send up to the window).</summary>
    public const int ChunkBytes = 256 * 1024;

    /// <summary>Whether <paramref name="window"/> is a window a side may offer.</summary>
    public static bool IsValidWindow(long window) => window is >= MinWindowBytes and <= MaxWindowBytes;
}

/// <summary>
/// Fields of <c>forward.open</c>: the client asks the server to connect to <see cref="Host"/>:<see cref="Port"/> and
/// carry that TCP stream on this request's id (<c>ferry forward -L</c> and <c>-D</c>).
/// </summary>
public sealed class ForwardOpenRequest
{
    /// <summary>The destination, as the server resolves it: a host name, or an IPv4 or IPv6 address (no brackets).</summary>
    public string? Host { get; set; }

    /// <summary>The destination port, 1 to 65535.</summary>
    public int Port { get; set; }

    /// <summary>
    /// The client's receive window: bytes the server may send on this stream before the client grants more with
    /// <c>forward.credit</c>; null for <see cref="ForwardLimits.DefaultWindowBytes"/>.
    /// </summary>
    public int? Window { get; set; }
}

/// <summary>
/// Fields of <c>forward.ready</c>: the stream is connected; data may flow both ways. <see cref="Window"/> is the
/// sender's receive window, the first credit its peer holds.
/// </summary>
public sealed class ForwardReadyMessage
{
    /// <summary>Bytes the peer may send before the sender of this frame grants more. Always written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int Window { get; set; }

    /// <summary>The address the server connected to (for <c>forward.open</c>), as <c>ip:port</c>.</summary>
    public string? Address { get; set; }
}

/// <summary>Fields of <c>forward.data</c>: the body is stream bytes; <see cref="Eof"/> says the sender's side of the stream ended (a TCP FIN).</summary>
public sealed class ForwardDataMessage
{
    /// <summary>The sender's side of the stream ended after this frame's bytes (a TCP FIN).</summary>
    public bool Eof { get; set; }
}

/// <summary>Fields of <c>forward.credit</c>: the receiver passed <see cref="Bytes"/> more bytes on, so the sender may send that many more.</summary>
public sealed class ForwardCreditMessage
{
    /// <summary>How many more bytes the sender may send.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long Bytes { get; set; }
}

/// <summary>
/// Fields of <c>forward.listen</c>: the client asks the server to listen on <see cref="Bind"/>:<see cref="Port"/> and
/// announce each connection it accepts with <c>forward.incoming</c> on this id (<c>ferry forward -R</c>).
/// </summary>
public sealed class ForwardListenRequest
{
    /// <summary>The server's address to listen on; null for its IPv4 loopback, 127.0.0.1.</summary>
    public string? Bind { get; set; }

    /// <summary>The port, 0 (any free one) to 65535.</summary>
    public int Port { get; set; }
}

/// <summary>Fields of <c>forward.listening</c>: where the server listens (the real port when 0 was asked for).</summary>
public sealed class ForwardListeningMessage
{
    /// <summary>The address the server listens on.</summary>
    public string? Bind { get; set; }

    /// <summary>The port it listens on (the real one when 0 was asked for).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int Port { get; set; }
}

/// <summary>Fields of <c>forward.incoming</c>: the listener accepted a connection; the client answers with <c>forward.accept</c> or <c>forward.decline</c>.</summary>
public sealed class ForwardIncomingMessage
{
    /// <summary>The connection's number on this listener, from 1.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long Conn { get; set; }

    /// <summary>Who connected, <c>ip:port</c>.</summary>
    public string? From { get; set; }
}

/// <summary>
/// Fields of <c>forward.accept</c>: a new request (its own id) that takes connection <see cref="Conn"/> of the
/// listener on request <see cref="Listen"/> and carries it as a stream, exactly as <c>forward.open</c> would.
/// </summary>
public sealed class ForwardAcceptRequest
{
    /// <summary>The id of the <c>forward.listen</c> request whose listener accepted the connection.</summary>
    public long Listen { get; set; }

    /// <summary>The number <c>forward.incoming</c> gave the connection.</summary>
    public long Conn { get; set; }

    /// <summary>The client's receive window, as in <see cref="ForwardOpenRequest.Window"/>.</summary>
    public int? Window { get; set; }
}

/// <summary>Fields of <c>forward.decline</c>, on the listener's id: the client will not take connection <see cref="Conn"/>; the server closes it.</summary>
public sealed class ForwardDeclineMessage
{
    /// <summary>The number <c>forward.incoming</c> gave the connection.</summary>
    public long Conn { get; set; }
}

/// <summary>Source-generated (AOT-safe) JSON metadata for the forwarding contracts.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(ForwardOpenRequest))]
[JsonSerializable(typeof(ForwardReadyMessage))]
[JsonSerializable(typeof(ForwardDataMessage))]
[JsonSerializable(typeof(ForwardCreditMessage))]
[JsonSerializable(typeof(ForwardListenRequest))]
[JsonSerializable(typeof(ForwardListeningMessage))]
[JsonSerializable(typeof(ForwardIncomingMessage))]
[JsonSerializable(typeof(ForwardAcceptRequest))]
[JsonSerializable(typeof(ForwardDeclineMessage))]
public sealed partial class ForwardJsonContext : JsonSerializerContext
{
}
