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
            throw new FerryConnectException(options.Target,
                $"the TLS handshake with {options.Target} failed ({ex.Message.TrimEnd('.')}); if the server runs with --plaintext, add --plaintext here too", ex);
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

    public static IDuplexPipe CreatePipe(Stream stream) => new StreamDuplexPipe(
        PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true)),
        PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true)));

    private sealed record StreamDuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
