using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Authentication;

/// <summary>
/// TLS 1.3 in front of the main endpoints, as Kestrel connection middleware over SslStream. Kestrel's own
/// UseHttps reads and writes the TLS stream in 4 KiB pool blocks, which turns each 64 KiB body into sixteen TLS
/// records and sends; here the pipes over the TLS stream use 64 KiB buffers, like the client's, so bulk transfers
/// cost little more than plaintext (docs/performance.md).
/// </summary>
internal sealed class ServerTls
{
    private const int BufferBytes = 64 * 1024;
    private readonly SslServerAuthenticationOptions _options;
    private readonly TimeProvider _time;
    private readonly TimeSpan _handshakeTimeout;
    private readonly ILogger _logger;

    public ServerTls(X509Certificate2 certificate, TimeSpan handshakeTimeout, TimeProvider time, ILogger logger)
    {
        _options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true),
            EnabledSslProtocols = SslProtocols.Tls13,
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        _handshakeTimeout = handshakeTimeout;
        _time = time;
        _logger = logger;
    }

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var transport = connection.Transport;
        var raw = new PipeDuplexStream(transport);
        var tls = new SslStream(raw, leaveInnerStreamOpen: false);
        try
        {
            using var deadline = new CancellationTokenSource(_handshakeTimeout, _time);
            using var closed = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, connection.ConnectionClosed);
            await tls.AuthenticateAsServerAsync(_options, closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or InvalidOperationException)
        {
            // A port scanner, a plaintext client, or a handshake that never finished: nothing to answer in TLS terms.
            AuthLog.TlsHandshakeFailed(_logger, ServerSecurity.AddressKey(connection.RemoteEndPoint), ex.Message);
            await tls.DisposeAsync().ConfigureAwait(false);
            return;
        }
        raw.Coalesce = true;
        var input = PipeReader.Create(tls, new StreamPipeReaderOptions(bufferSize: BufferBytes, minimumReadSize: 16 * 1024, leaveOpen: true));
        var output = new TlsPipeWriter(PipeWriter.Create(tls, new StreamPipeWriterOptions(minimumBufferSize: BufferBytes, leaveOpen: true)), tls, transport.Output);
        connection.Features.Set(new TlsConnectionFeature(tls.NegotiatedCipherSuite.ToString()));
        connection.Transport = new TlsPipe(input, output);
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
            try
            {
                await tls.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The peer is already gone.
            }
            connection.Transport = transport;
        }
    }

    private sealed record TlsPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
