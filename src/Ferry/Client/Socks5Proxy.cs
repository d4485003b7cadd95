using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Protocol;

namespace Ferry.Client;

/// <summary>
/// The SOCKS5 side of <c>ferry forward -D</c> (RFC 1928): no authentication, CONNECT only. The local program names its
/// destination; the server connects to it through <c>forward.open</c>, and the reply tells the program how that went.
/// </summary>
internal static class Socks5Proxy
{
    private const byte Version = 5;
    private const byte NoAuthentication = 0x00;
    private const byte NoAcceptableMethod = 0xff;
    private const byte Connect = 0x01;

    /// <summary>SOCKS5 reply codes (RFC 1928 §6).</summary>
    internal enum Reply : byte
    {
        Succeeded = 0,
        GeneralFailure = 1,
        NotAllowed = 2,
        NetworkUnreachable = 3,
        HostUnreachable = 4,
        ConnectionRefused = 5,
        CommandNotSupported = 7,
        AddressTypeNotSupported = 8,
    }

    public static async Task ServeAsync(FerryClient client, Socket socket, CancellationToken cancellationToken)
    {
        using var handshake = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, handshake.Token);
        var stream = new NetworkStream(socket, ownsSocket: false);
        await using (stream.ConfigureAwait(false))
        {
            // Greeting: VER NMETHODS METHODS...
            var head = new byte[2];
            await stream.ReadExactlyAsync(head, both.Token).ConfigureAwait(false);
            if (head[0] != Version) throw new IOException($"not a SOCKS5 client (version byte {head[0]})");
            var methods = new byte[head[1]];
            await stream.ReadExactlyAsync(methods, both.Token).ConfigureAwait(false);
            if (!methods.Contains(NoAuthentication))
            {
                await stream.WriteAsync(new byte[] { Version, NoAcceptableMethod }, both.Token).ConfigureAwait(false);
                throw new IOException("the SOCKS5 client offers no method without authentication (ferry's proxy has none)");
            }
            await stream.WriteAsync(new byte[] { Version, NoAuthentication }, both.Token).ConfigureAwait(false);

            // Request: VER CMD RSV ATYP DST.ADDR DST.PORT
            var request = new byte[4];
            await stream.ReadExactlyAsync(request, both.Token).ConfigureAwait(false);
            byte[] address = request[3] switch
            {
                1 => new byte[4 + 2],
                4 => new byte[16 + 2],
                3 => new byte[await ReadByteAsync(stream, both.Token).ConfigureAwait(false) + 2],
                _ => [],
            };
            if (address.Length == 0)
            {
                await ReplyAsync(stream, Reply.AddressTypeNotSupported, both.Token).ConfigureAwait(false);
                throw new IOException($"SOCKS5 address type {request[3]} is not one of IPv4, domain name, IPv6");
            }
            await stream.ReadExactlyAsync(address, both.Token).ConfigureAwait(false);
            var (host, port) = ParseDestination(request[3], address);
            if (request[0] != Version || request[1] != Connect)
            {
                await ReplyAsync(stream, Reply.CommandNotSupported, both.Token).ConfigureAwait(false);
                throw new IOException($"SOCKS5 command {request[1]} is not supported (only CONNECT)");
            }
            ForwardTunnel tunnel;
            try
            {
                tunnel = await client.OpenForwardAsync(host, port, both.Token).ConfigureAwait(false);
            }
            catch (FerryException ex)
            {
                await ReplyAsync(stream, ReplyFor(ex), both.Token).ConfigureAwait(false);
                throw;
            }
            await using (tunnel.ConfigureAwait(false))
            {
                await ReplyAsync(stream, Reply.Succeeded, both.Token).ConfigureAwait(false);
                await tunnel.RunAsync(socket, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The destination of a request's address part (ATYP's bytes, then the port), as host text and port.</summary>
    internal static (string Host, int Port) ParseDestination(byte addressType, ReadOnlySpan<byte> address)
    {
        int port = BinaryPrimitives.ReadUInt16BigEndian(address[^2..]);
        var host = addressType switch
        {
            1 or 4 => new IPAddress(address[..^2]).ToString(),
            _ => Encoding.ASCII.GetString(address[..^2]),
        };
        if (host.Length == 0 || port == 0) throw new IOException("the SOCKS5 request names an empty host or port 0");
        return (host, port);
    }

    internal static Reply ReplyFor(FerryException ex) => ex.Error switch
    {
        ProtocolError.Forbidden or ProtocolError.Disabled => Reply.NotAllowed,
        ProtocolError.Unreachable when ex.Message.StartsWith("connection refused", StringComparison.Ordinal) => Reply.ConnectionRefused,
        ProtocolError.Unreachable when ex.Message.StartsWith("no route", StringComparison.Ordinal) => Reply.NetworkUnreachable,
        ProtocolError.Unreachable => Reply.HostUnreachable,
        _ => Reply.GeneralFailure,
    };

    private static async ValueTask<byte> ReadByteAsync(Stream stream, CancellationToken cancellationToken)
    {
        var one = new byte[1];
        await stream.ReadExactlyAsync(one, cancellationToken).ConfigureAwait(false);
        return one[0];
    }

    // BND.ADDR/BND.PORT are 0.0.0.0:0: the bound address is the server's business, and clients ignore it for CONNECT.
    private static ValueTask ReplyAsync(Stream stream, Reply reply, CancellationToken cancellationToken) =>
        stream.WriteAsync(new byte[] { Version, (byte)reply, 0, 1, 0, 0, 0, 0, 0, 0 }, cancellationToken);
}
