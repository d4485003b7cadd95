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
            // The wording is what 'ferry serve' reads to name the option that asked for this address.
            throw new IOException($"cannot listen on udp {endPoint}: address already in use", ex);
        }
    }
}
