using System.IO.Pipelines;
using System.Net;
using Ferry.Connections;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>
/// Kestrel owns the socket; this owns the conversation: one <see cref="ServerSession"/> per connection. The main
/// endpoints and the WebSocket binding (<see cref="Web.WebFrontend"/>) both come here, so they share one frame loop,
/// one set of services, rights and limits.
/// </summary>
internal sealed class FerryConnectionHandler(SessionEnvironment env)
{
    public SessionEnvironment Environment => env;

    public Task OnConnectedAsync(ConnectionContext connection)
    {
        var isTls = connection.Features.Get<Authentication.TlsConnectionFeature>() is not null || connection.Features.Get<ITlsHandshakeFeature>() is not null;
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        var preAuthSlot = connection.Features.Get<Authentication.PreAuthSlotFeature>()?.Slot;
        return RunSessionAsync(connection.Transport, connection.Abort, connection.ConnectionId, connection.RemoteEndPoint, isTls, preAuthSlot,
            lifetime?.ConnectionClosedRequested ?? CancellationToken.None, session => connection.Features.Set(session));
    }

    /// <summary>Runs one session over <paramref name="transport"/> until it closes; never throws.</summary>
    /// <param name="transport">The connection's byte pipes.</param>
    /// <param name="abort">Tears the transport down at once.</param>
    /// <param name="connectionId">The transport's connection id, for logs.</param>
    /// <param name="remoteEndPoint">The peer, for limits and logs.</param>
    /// <param name="isTls">Whether the Ferry stream itself runs inside TLS (what the proofs bind to).</param>
    /// <param name="preAuthSlot">The connection's place under the pre-authentication caps, released once it logs in.</param>
    /// <param name="closeRequested">Fires when the server begins to shut down.</param>
    /// <param name="created">Sees the session before it runs (Kestrel's feature collection keeps it).</param>
    public async Task RunSessionAsync(IDuplexPipe transport, Action abort, string connectionId, EndPoint? remoteEndPoint, bool isTls,
        IDisposable? preAuthSlot, CancellationToken closeRequested, Action<ServerSession>? created = null)
    {
        var options = env.Options;
        var frames = new FrameConnection(transport, abort)
        {
            Time = options.Time,
            StuckFlushGrace = options.SendStallGrace,
            LingerTimeout = options.CloseGrace,
            CloseWriteTimeout = options.CloseGrace,
        };
        var session = new ServerSession(frames, connectionId, remoteEndPoint, isTls, env, preAuthSlot);
        created?.Invoke(session);
        // Every line logged while serving this connection (and the work it starts) says whose it is.
        using var scope = env.Logger.BeginScope(session.LogScope);
        env.Stats.ConnectionOpened(frames);
        try
        {
            await session.RunAsync(closeRequested).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The supervisor: whatever went wrong stays with this connection.
            ServerLog.ConnectionFault(env.Logger, ex, connectionId);
        }
        finally
        {
            env.Stats.ConnectionClosed(frames, refused: !session.IsReady);
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }
}
