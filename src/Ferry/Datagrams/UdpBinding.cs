using System.Net;
using System.Net.Sockets;

namespace Ferry.Datagrams;

/// <summary>Binds a UDP service's socket; a busy address says which one (the bare SocketException names none).</summary>
internal static class UdpBinding
{
    public static void Bind(Socket socket, EndPoint endPoint)
    {
        try
        {
            socket.Bind(endPoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new AddressInUseException(endPoint, "udp", ex);
        }
    }
}

/// <summary>A listening address another socket already holds.</summary>
internal sealed class AddressInUseException(EndPoint endPoint, string protocol, Exception inner)
    : IOException($"cannot listen on {protocol} {endPoint}: address already in use", inner)
{
    public EndPoint EndPoint { get; } = endPoint;

    public string Protocol { get; } = protocol;
}
