using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Client;

/// <summary>Opens the byte stream a client speaks over: a TCP or Unix socket, inside TLS 1.3 unless plaintext.</summary>
internal static class ClientTransport
{
    public static async Task<(Socket Socket, Stream Stream)> ConnectAsync(FerryTarget target, CancellationToken cancellationToken)
    {
        var endPoint = target.ToEndPoint();
        Socket socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : endPoint is IPEndPoint ip
                ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
                : new Socket(SocketType.Stream, ProtocolType.Tcp); // dual-mode: tries every address the name resolves to
        try
        {
            if (socket.AddressFamily != AddressFamily.Unix) socket.NoDelay = true; // a frame must not wait for Nagle
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return (socket, new NetworkStream(socket, ownsSocket: true));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the TLS 1.3 handshake over <paramref name="inner"/> and checks the server's certificate by fingerprint
    /// (<see cref="HostTrust"/>) before a single application byte is sent. Returns the TLS stream and the certificate.
    /// </summary>
    public static async Task<(SslStream Stream, X509Certificate2 Certificate)> StartTlsAsync(Stream inner, FerryClientOptions options, CancellationToken cancellationToken)
    {
        X509Certificate2? presented = null;
        var raw = new CoalescingStream(inner);
        var tls = new SslStream(raw, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = options.Target.IsUnix ? "localhost" : options.Target.Host,
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                // Self-signed certificates are the design: trust is decided by fingerprint right after the handshake.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is not null) presented = new X509Certificate2(certificate);
                    return certificate is not null;
                },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new FerryConnectException(options.Target, DescribeFailedHandshake(options.Target, raw.FirstBytes, ex), ex);
        }
        raw.Coalesce = true;
        try
        {
            HostTrust.Verify(options, presented!);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return (tls, presented!);
    }

    /// <summary>
    /// Says what went wrong by what the peer sent back: a TLS alert or ServerHello is a real TLS failure; a Ferry frame (4-byte length, then the JSON header's '{') is a plaintext server, so --plaintext is
    /// the fix; nothing at all is a refusal; anything else is some other service.
    /// </summary>
    internal static string DescribeFailedHandshake(FerryTarget target, ReadOnlySpan<byte> first, Exception ex)
    {
        string cause = Innermost(ex);
        // An alert, or a ServerHello (handshake type 2). A ClientHello (type 1) is our own, reflected by an echo service.
        if (first.Length >= 6 && first[1] == 3 && (first[0] == 0x15 || (first[0] == 0x16 && first[5] == 2)))
        {
            return $"the TLS handshake with {target} failed ({cause})";
        }
        if (first.Length >= 5 && first[4] == (byte)'{')
        {
            return $"{target} answered without TLS: the server runs with --plaintext; add --plaintext here too";
        }
        if (first.Length == 0)
        {
            return $"{target} closed the connection during the TLS handshake ({cause}); the server may be refusing connections (too many?) or not be a Ferry server";
        }
        return $"{target} did not answer as a Ferry server (TLS handshake failed: {cause}); is this the right port?";
    }

    // SslStream's own message is "Authentication failed, see inner exception": the cause is further in.
    private static string Innermost(Exception ex)
    {
        while (ex.InnerException is { } inner) ex = inner;
        return ex.Message.TrimEnd('.');
    }

    public static IDuplexPipe CreatePipe(Stream stream) => new StreamDuplexPipe(
        PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true)),
        PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true)));

    private sealed record StreamDuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
