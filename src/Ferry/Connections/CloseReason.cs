namespace Ferry.Connections;

/// <summary>Why a connection ended; the first reason recorded wins.</summary>
public enum CloseReason
{
    /// <summary>Still open.</summary>
    None,
    /// <summary>The peer closed or reset the connection. Normal.</summary>
    PeerClosed,
    /// <summary>This side closed it on purpose.</summary>
    LocalClosed,
    /// <summary>The peer broke the framing rules.</summary>
    ProtocolError,
    /// <summary>The peer failed to authenticate.</summary>
    AuthFailed,
    /// <summary>A deadline passed (handshake, idle, ...).</summary>
    Timeout,
    /// <summary>The server is shutting down.</summary>
    ServerShutdown,
    /// <summary>A limit refused the connection (too many, too slow a reader, ...).</summary>
    Rejected,
    /// <summary>An unexpected fault; see the logged exception.</summary>
    Error,
}
