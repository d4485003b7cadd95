namespace Ferry.Protocol;

/// <summary>The client's opening frame (docs/protocol.md §3).</summary>
public sealed class HelloRequest
{
    /// <summary>The protocol version the client speaks; required (protocol.md §3.1).</summary>
    public int? Version { get; set; }

    /// <summary>Free-form client name and version, for logs.</summary>
    public string? Client { get; set; }
}

/// <summary>The server's answer to hello: version, and what the client must do before requests.</summary>
public sealed class HelloResponse
{
    /// <summary>The protocol version the server speaks.</summary>
    public int Version { get; set; } = Hello.ProtocolVersion;

    /// <summary>The server's name and version.</summary>
    public string? Server { get; set; }

    /// <summary>Authentication methods the client may use; empty when none is required.</summary>
    public string[] Auth { get; set; } = [];

    /// <summary>Whether the connection runs inside TLS (as the server sees it).</summary>
    public bool Tls { get; set; }

    /// <summary>The header limit in force after the handshake.</summary>
    public int MaxHeaderBytes { get; set; } = FrameCodec.DefaultMaxHeaderBytes;

    /// <summary>
    /// The compressions of file data the server reads (<c>["zstd"]</c>, docs/protocol.md §5.4.5); null from a server
    /// that knows none, to which a client sends nothing compressed.
    /// </summary>
    public string[]? Compress { get; set; }
}

/// <summary>Protocol constants for the hello step.</summary>
public static class Hello
{
    /// <summary>The one protocol version this build speaks.</summary>
    public const int ProtocolVersion = 1;
}

/// <summary>The fields of an <c>error</c> frame.</summary>
public sealed class ErrorMessage
{
    /// <summary>The error code (docs/protocol.md §6), e.g. <c>not_found</c>.</summary>
    public string Code { get; set; } = "";

    /// <summary>A one-line explanation for people.</summary>
    public string Message { get; set; } = "";
}
