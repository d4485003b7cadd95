using Ferry.Connections;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>Kestrel owns the socket; this owns the conversation: one <see cref="ServerSession"/> per connection.</summary>
internal sealed class FerryConnectionHandler(SessionEnvironment env)
{
    public async Task OnConnectedAsync(ConnectionContext connection)
    {
        var options = env.Options;
        var frames = new FrameConnection(connection.Transport, connection.Abort)
        {
            Time = options.Time,
            StuckFlushGrace = options.SendStallGrace,
            LingerTimeout = options.CloseGrace,
            CloseWriteTimeout = options.CloseGrace,
        };
        var isTls = connection.Features.Get<Authentication.TlsConnectionFeature>() is not null || connection.Features.Get<ITlsHandshakeFeature>() is not null;
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        var preAuthSlot = connection.Features.Get<Authentication.PreAuthSlotFeature>()?.Slot;
        var session = new ServerSession(frames, connection.ConnectionId, connection.RemoteEndPoint, isTls, env, preAuthSlot);
        connection.Features.Set(session);
        // Every line logged while serving this connection (and the work it starts) says whose it is.
        using var scope = env.Logger.BeginScope(session.LogScope);
        env.Stats.ConnectionOpened(frames);
        try
        {
            await session.RunAsync(lifetime?.ConnectionClosedRequested ?? CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The supervisor: whatever went wrong stays with this connection.
            ServerLog.ConnectionFault(env.Logger, ex, connection.ConnectionId);
        }
        finally
        {
            env.Stats.ConnectionClosed(frames, refused: !session.IsReady);
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }
}
