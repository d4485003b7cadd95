using Ferry.Connections;
using Ferry.Protocol;

namespace Ferry.Server;

/// <summary>One incoming frame, as a service sees it.</summary>
public readonly struct ServerRequest
{
    public ServerRequest(ServerSession session, FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        Session = session;
        Header = header;
        Body = body;
        CancellationToken = cancellationToken;
    }

    public ServerSession Session { get; }

    /// <summary>The header; its <see cref="FrameHeader.Json"/> is valid only until the body is read.</summary>
    public FrameHeader Header { get; }

    public FrameBodyReader Body { get; }

    /// <summary>Fires when the connection closes or the server shuts down.</summary>
    public CancellationToken CancellationToken { get; }

    public long Id => Header.Id;

    public string Type => Header.Type;

    /// <summary>The connection to answer on.</summary>
    public FrameConnection Connection => Session.Connection;

    /// <summary>Reads the header's fields into a message.</summary>
    public T Read<T>(System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) => Header.ReadPayload(typeInfo);
}
