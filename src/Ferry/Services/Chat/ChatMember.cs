using System.Threading.Channels;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Server;
using Ferry.Contracts.Chat;

namespace Ferry.Services.Chat;

/// <summary>
/// One connection's presence in the chat: its nick, its room, and its own bounded send queue drained by its own
/// task, so a member that stops reading fills only its own queue and never delays the others.
/// </summary>
public sealed class ChatMember : IAsyncDisposable
{
    private readonly IChatHub _hub;
    private readonly CancellationToken _closed;
    private readonly Channel<ChatDelivery> _queue;
    private readonly Task _drainer;
    private readonly TimeProvider _time;
    private int _disconnecting;

    internal ChatMember(IChatHub hub, string principalName, int queueCapacity, TimeProvider time, CancellationToken connectionClosed)
    {
        _hub = hub;
        _time = time;
        _closed = connectionClosed;
        PrincipalName = principalName;
        _queue = Channel.CreateBounded<ChatDelivery>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // writers use TryWrite: a full queue is reported, never waited on
            // An idle drainer starts writing on the fan-out thread instead of a thread-pool hop per member; it only
            // copies into the connection's pipe (the socket send happens on Kestrel's I/O threads), and a drainer
            // whose peer is slow is not waiting on the queue, so it can never hold the fan-out up.
            AllowSynchronousContinuations = true,
        });
        _drainer = DrainAsync();
    }

    /// <summary>Who authenticated this connection; the default nick.</summary>
    public string PrincipalName { get; }

    /// <summary>The nick, once claimed (guarded by the hub's lock).</summary>
    public string? Nick { get; internal set; }

    internal ChatRoom? Room { get; set; }

    /// <summary>
    /// The <c>chat.join</c> whose id carries this member's events: its exchange stays open (no other request may use
    /// the id) while the member is in the room, and ends when it leaves.
    /// </summary>
    internal RequestContext Join { get; set; }

    internal bool TryEnqueue(in ChatDelivery delivery) => _queue.Writer.TryWrite(delivery);

    /// <summary>Ends the connection after an overflow: a final error frame if the socket takes it, then abort.</summary>
    internal void Disconnect(string reason)
    {
        if (Interlocked.Exchange(ref _disconnecting, 1) != 0) return;
        _queue.Writer.TryComplete();
        // Only members in a room receive events, so only they overflow: their join reaches the connection.
        _ = DisconnectAsync(Join.Connection, reason);
    }

    private static async Task DisconnectAsync(FrameConnection connection, string reason)
    {
        try
        {
            // The drainer is probably stuck in a write holding the connection's lock, so only wait briefly.
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1), connection.Time);
            await connection.SendErrorAsync(0, ProtocolError.Busy, reason, quick.Token).ConfigureAwait(false);
            // It fitted: end the read loop so the connection closes gracefully and the error is delivered first;
            // the abort below still follows in case the peer never takes the remaining bytes.
            connection.CancelPendingRead();
            await Task.Delay(connection.LingerTimeout, connection.Time).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException || connection.IsClosingFailure(ex))
        {
            // Not even the error fits; the abort below says it by closing.
        }
        connection.Abort(CloseReason.Rejected, reason);
    }

    private async Task DrainAsync()
    {
        await Task.Yield();
        var reader = _queue.Reader;
        var ct = _closed;
        try
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    // Queued for a membership that has since ended (the member left or moved): its id is no longer ours.
                    if (!item.Join.IsOpen) continue;
                    try
                    {
                        if (item.Reply is { } reply)
                        {
                            await item.Join.SendAsync(MessageTypes.Ok, reply, ChatJsonContext.Default.ChatJoinReply, ct).ConfigureAwait(false);
                        }
                        else
                        {
                            await item.Join.SendAsync(MessageTypes.ChatEvent, item.Event, ChatJsonContext.Default.ChatEventMessage, item.Text, ct).ConfigureAwait(false);
                        }
                    }
                    catch (InvalidOperationException) when (!item.Join.IsOpen)
                    {
                        // The membership ended between the check and the send.
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException || FrameConnection.IsTransportFailure(ex)
            || ex is InvalidOperationException && ct.IsCancellationRequested)
        {
            // The connection closed; the session's disposal removes the member from the hub.
        }
    }

    /// <summary>Takes the member out of the hub (others see it leave) and waits briefly for its queue to drain.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _hub.RemoveAsync(this, "disconnected").ConfigureAwait(false);
        }
        finally
        {
            _queue.Writer.TryComplete();
        }
        await _drainer.WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
