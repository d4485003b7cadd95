using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Ferry.Tests.Infrastructure;

/// <summary>
/// Builds frames byte by byte, independent of the library's writer, and talks to servers over a plain socket —
/// the way a client written from docs/protocol.md alone would.
/// </summary>
public static class RawFrames
{
    public static byte[] Frame(string headerJson, ReadOnlySpan<byte> body = default)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        return Frame(header, body);
    }

    public static byte[] Frame(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body = default)
    {
        var bytes = new byte[4 + header.Length + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, header.Length);
        header.CopyTo(bytes.AsSpan(4));
        body.CopyTo(bytes.AsSpan(4 + header.Length));
        return bytes;
    }

    public static byte[] Hello => Frame("""{"type":"hello","id":1,"version":1}""");

    /// <summary>Opens a plain TCP socket to <paramref name="port"/> on loopback.</summary>
    public static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>Reads one frame: (header JSON, body). Returns null at end of stream.</summary>
    public static async Task<(string Header, byte[] Body)?> ReadFrameAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var prefix = new byte[4];
        if (!await ReadExactlyOrEndAsync(stream, prefix, cancellationToken)) return null;
        int length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        var header = new byte[length];
        await stream.ReadExactlyAsync(header, cancellationToken);
        var json = Encoding.UTF8.GetString(header);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        long size = doc.RootElement.TryGetProperty("size", out var s) ? s.GetInt64() : 0;
        var body = new byte[size];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return (json, body);
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                if (read == 0) return false;
                throw new EndOfStreamException("stream ended inside a frame");
            }
            read += n;
        }
        return true;
    }

    /// <summary>Reads and discards until the peer closes (true) or resets (true), or <paramref name="timeout"/> passes (false).</summary>
    public static async Task<bool> ReadsToTheEndAsync(Stream stream, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (await stream.ReadAsync(buffer, deadline.Token) != 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true; // reset by the server's abort
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
