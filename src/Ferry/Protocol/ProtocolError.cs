namespace Ferry.Protocol;

/// <summary>The closed set of error codes that travel in <c>error</c> frames (docs/protocol.md §3.4).</summary>
public enum ProtocolError
{
    /// <summary>The 4-byte header length was negative or above the limit.</summary>
    BadHeaderLength,
    /// <summary>The header was not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>The header was not well-formed JSON.</summary>
    InvalidJson,
    /// <summary>The header was JSON but not an object.</summary>
    HeaderNotObject,
    /// <summary>The header had no string <c>type</c>.</summary>
    MissingType,
    /// <summary>The <c>id</c> field was not a non-negative integer.</summary>
    BadId,
    /// <summary>The <c>size</c> field was not a non-negative integer.</summary>
    BadSize,
    /// <summary>The stream ended in the middle of a frame.</summary>
    TruncatedFrame,
    /// <summary>No service handles this message type.</summary>
    UnknownType,
    /// <summary>The request's fields were missing or invalid.</summary>
    BadRequest,
    /// <summary>The protocol version offered in hello is not supported.</summary>
    UnsupportedVersion,
    /// <summary>The request came before authentication finished.</summary>
    Unauthenticated,
    /// <summary>Authentication failed.</summary>
    AuthFailed,
    /// <summary>The authenticated principal lacks the right this request needs.</summary>
    Forbidden,
    /// <summary>The thing asked for does not exist.</summary>
    NotFound,
    /// <summary>The thing to create already exists.</summary>
    AlreadyExists,
    /// <summary>A path was outside the sandbox or otherwise unsafe.</summary>
    BadPath,
    /// <summary>The feature is switched off on this server.</summary>
    Disabled,
    /// <summary>A server-side limit was reached; try later.</summary>
    Busy,
    /// <summary>The request was cancelled.</summary>
    Cancelled,
    /// <summary>The request ran past its deadline.</summary>
    Timeout,
    /// <summary>A content hash did not match.</summary>
    HashMismatch,
    /// <summary>An I/O failure on the server (disk full, read-only, ...).</summary>
    IoError,
    /// <summary>The server is shutting down.</summary>
    ShuttingDown,
    /// <summary>A request id was reused while still in flight.</summary>
    DuplicateId,
    /// <summary>An unexpected server fault; the connection stays usable.</summary>
    Internal,
    /// <summary>The server cannot do this on its platform (a terminal on a Windows server).</summary>
    Unsupported,
    /// <summary>The server could not connect to a forwarding destination (refused, no route, no such host, timed out).</summary>
    Unreachable,
}
