using System.Net.Sockets;
using System.Text.Json.Serialization.Metadata;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Security.Tls;

namespace Ferry.Client;

/// <summary>
/// A connection to a Ferry server: connects, says hello (and authenticates), then carries any number of
/// concurrent requests, each matched to its responses by id. Feature APIs are extension methods
/// (<c>EchoAsync</c>, ...). Disposing closes the connection and fails whatever is still pending.
/// </summary>
public sealed class FerryClient : IFrameHandler, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PendingRequests _pending = new();
    private Task _readLoop = Task.CompletedTask;
    private long _nextId;
    private string? _serverError;

    private FerryClient(FerryClientOptions options, Socket socket, Stream stream)
    {
        Options = options;
        _socket = socket;
        _stream = stream;
        Connection = new FrameConnection(ClientTransport.CreatePipe(stream), () => _stream.Dispose())
        {
            Time = options.Time,
            LingerTimeout = options.CloseGrace,
        };
    }

    /// <summary>The options this client connected with.</summary>
    public FerryClientOptions Options { get; }

    /// <summary>The framed connection, for feature clients that send their own frames.</summary>
    public FrameConnection Connection { get; }

    /// <summary>What the server said in hello.</summary>
    public HelloResponse ServerHello { get; private set; } = new();

    /// <summary>The server certificate's <c>SHA256:hex</c> fingerprint; null over plaintext.</summary>
    public string? ServerFingerprint { get; private init; }

    /// <summary>Who the server says this client is (user, method, rights); null when the server asked for no authentication.</summary>
    public AuthOkMessage? Authentication { get; private set; }

    /// <summary>Completes when the connection closes.</summary>
    public Task Completion => _readLoop;

    /// <summary>Connects to <paramref name="options"/>'s target and completes the handshake.</summary>
    public static async Task<FerryClient> ConnectAsync(FerryClientOptions options, CancellationToken cancellationToken = default)
    {
        // CancelAfter would run on the system clock; a source built on options.Time keeps the deadline on the injected one.
        using var connectDeadline = new CancellationTokenSource(options.ConnectTimeout, options.Time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connectDeadline.Token);
        Socket socket;
        Stream stream;
        try
        {
            (socket, stream) = await ClientTransport.ConnectAsync(options.Target, timeout.Token).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new FerryConnectException(options.Target, Describe(ex, options.Target), ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FerryConnectException(options.Target, $"could not connect to {options.Target} within {options.ConnectTimeout.TotalSeconds:0.#} s");
        }
        byte[] channelBinding = [];
        string? fingerprint = null;
        if (!options.Plaintext)
        {
            try
            {
                var (tls, certificate) = await ClientTransport.StartTlsAsync(stream, options, timeout.Token).ConfigureAwait(false);
                stream = tls;
                channelBinding = CertificateFingerprint.Hash(certificate);
                fingerprint = CertificateFingerprint.Format(channelBinding);
                certificate.Dispose();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new FerryConnectException(options.Target, $"the TLS handshake with {options.Target} did not finish within {options.ConnectTimeout.TotalSeconds:0.#} s (the server is overloaded, or it is not a Ferry server)");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        var client = new FerryClient(options, socket, stream) { ServerFingerprint = fingerprint };
        try
        {
            client._readLoop = client.RunReadLoopAsync();
            Response<HelloResponse> hello;
            try
            {
                hello = await client.RequestAsync(MessageTypes.Hello,
                    new HelloRequest { Version = Hello.ProtocolVersion, Client = options.ClientName }, ProtocolJsonContext.Default.HelloRequest,
                    ProtocolJsonContext.Default.HelloResponse, timeout.Token).ConfigureAwait(false);
            }
            catch (ConnectionClosedException ex) when (options.Plaintext)
            {
                throw new FerryConnectException(options.Target, $"{options.Target} closed the connection at hello; it probably expects TLS (drop --plaintext)", ex);
            }
            client.ServerHello = hello.Payload!;
            if (client.ServerHello.Auth.Length > 0)
            {
                client.Authentication = await ClientAuthenticator.RunAsync(client, channelBinding, timeout.Token).ConfigureAwait(false);
            }
            return client;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new FerryConnectException(options.Target, $"{options.Target} accepted the connection but did not finish the handshake within {options.ConnectTimeout.TotalSeconds:0.#} s (is it a Ferry server? does it expect TLS?)");
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A fresh request id.</summary>
    public long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>
    /// Routes every frame for <paramref name="id"/> to <paramref name="sink"/> until <see cref="Unregister"/>.
    /// Throws if the connection has already failed.
    /// </summary>
    public void Register(long id, IResponseSink sink) => _pending.Add(id, sink);

    /// <summary>Stops routing frames for <paramref name="id"/>; later frames on it are skipped.</summary>
    public void Unregister(long id) => _pending.Remove(id);

    /// <summary>Sends one request and waits for its single response frame.</summary>
    public Task<Response<TResponse>> RequestAsync<TRequest, TResponse>(string type, TRequest request, JsonTypeInfo<TRequest> requestInfo,
        JsonTypeInfo<TResponse>? responseInfo, CancellationToken cancellationToken = default) =>
        RequestAsync(type, request, requestInfo, responseInfo, ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>Sends one request with a body and waits for its single response frame.</summary>
    public Task<Response<TResponse>> RequestAsync<TRequest, TResponse>(string type, TRequest? request, JsonTypeInfo<TRequest>? requestInfo,
        JsonTypeInfo<TResponse>? responseInfo, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
        => ExchangeAsync(type, request, requestInfo, body, new ResponseSink<TResponse>(responseInfo, maxBody: int.MaxValue), cancellationToken);

    /// <summary>Sends one request and waits for <paramref name="sink"/>'s single response frame, within <see cref="FerryClientOptions.RequestTimeout"/>.</summary>
    internal async Task<Response<TResponse>> ExchangeAsync<TRequest, TResponse>(string type, TRequest? request, JsonTypeInfo<TRequest>? requestInfo,
        ReadOnlyMemory<byte> body, ResponseSink<TResponse> sink, CancellationToken cancellationToken)
    {
        long id = NextId();
        Register(id, sink);
        using var timer = new CancellationTokenSource(Options.RequestTimeout, Options.Time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await Connection.SendAsync(type, id, request, requestInfo, body, deadline.Token).ConfigureAwait(false);
            return await sink.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            await TrySendCancelAsync(id).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested) throw;
            throw new FerryException(ProtocolError.Timeout, $"'{type}' got no answer within {Options.RequestTimeout.TotalSeconds:0.#} s");
        }
        finally
        {
            Unregister(id);
        }
    }

    /// <summary>Asks the server to stop request <paramref name="id"/>; best effort.</summary>
    public async ValueTask TrySendCancelAsync(long id)
    {
        try
        {
            using var quick = new CancellationTokenSource(Options.CloseGrace, Options.Time);
            await Connection.SendAsync(MessageTypes.Cancel, id, quick.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is going away anyway.
        }
    }

    async ValueTask IFrameHandler.OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        if (_pending.TryGet(header.Id, out var sink))
        {
            await sink!.OnFrameAsync(header, body, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (header.Id == 0 && ReferenceEquals(header.Type, MessageTypes.Error))
        {
            // A connection-level error, sent just before the server closes: keep it for the failure message.
            _serverError = ErrorFrames.ToException(header).Message;
        }
        // Otherwise a late answer to a request we gave up on; the loop skips its body.
    }

    private async Task RunReadLoopAsync()
    {
        Exception failure;
        try
        {
            var reason = await Connection.RunAsync(this, CancellationToken.None).ConfigureAwait(false);
            failure = new ConnectionClosedException(_serverError is null
                ? $"the server closed the connection ({reason})"
                : $"the server closed the connection: {_serverError}", reason);
        }
        catch (FerryException ex)
        {
            failure = ex;
        }
        catch (Exception ex)
        {
            failure = new ConnectionClosedException($"the connection failed: {ex.Message}", CloseReason.Error, ex);
        }
        _pending.FailAll(failure);
    }

    private static string Describe(SocketException ex, FerryTarget target) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => $"nothing is listening on {target}; start a server there with 'ferry serve'",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"cannot resolve host '{target.Host}'",
        SocketError.TimedOut => $"connecting to {target} timed out",
        SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported => $"cannot reach {target}: {ex.Message}",
        _ => $"cannot connect to {target}: {ex.Message}",
    };

    /// <summary>Closes the connection (after a frame being written, within its grace) and waits for the read loop to end.</summary>
    public async ValueTask DisposeAsync()
    {
        Connection.Abort(CloseReason.LocalClosed);
        await _readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Connection.DisposeAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}
