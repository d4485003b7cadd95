using System.Threading.Channels;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Contracts.Chat;

namespace Ferry.Services.Chat;

/// <summary>
/// One connection's presence in the chat: its nick, its room, and its own bounded send queue drained by its own
/// task, so a member that stops reading fills only its own queue and never delays the others.
/// </summary>
public sealed class ChatMember : Server.IExchangeTable, IAsyncDisposable
{
    private readonly ChatHub _hub;
    private readonly FrameConnection _connection;
    private readonly Channel<ChatDelivery> _queue;
    private readonly Task _drainer;
    private int _disconnecting;

    internal ChatMember(ChatHub hub, FrameConnection connection, string principalName, int queueCapacity)
    {
        _hub = hub;
        _connection = connection;
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

    /// <summary>The id of the <c>chat.join</c> whose events this member receives.</summary>
    internal long JoinId { get; set; }

    // While in a room, the join's id carries its events: no other request may use it (duplicate_id).
    bool Server.IExchangeTable.Contains(long id) => Room is not null && JoinId == id;

    internal bool TryEnqueue(in ChatDelivery delivery) => _queue.Writer.TryWrite(delivery);

    /// <summary>Ends the connection after an overflow: a final error frame if the socket takes it, then abort.</summary>
    internal void Disconnect(string reason)
    {
        if (Interlocked.Exchange(ref _disconnecting, 1) != 0) return;
        _queue.Writer.TryComplete();
        _ = DisconnectAsync(reason);
    }

    private async Task DisconnectAsync(string reason)
    {
        try
        {
            // The drainer is probably stuck in a write holding the connection's lock, so only wait briefly.
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _connection.SendErrorAsync(0, ProtocolError.Busy, reason, quick.Token).ConfigureAwait(false);
            // It fitted: end the read loop so the connection closes gracefully and the error is delivered first;
            // the abort below still follows in case the peer never takes the remaining bytes.
            _connection.CancelPendingRead();
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException || _connection.IsClosingFailure(ex))
        {
            // Not even the error fits; the abort below says it by closing.
        }
        _connection.Abort(CloseReason.Rejected, reason);
    }

    private async Task DrainAsync()
    {
        await Task.Yield();
        var reader = _queue.Reader;
        var ct = _connection.Closed;
        try
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    if (item.Reply is { } reply)
                    {
                        await _connection.SendAsync(MessageTypes.Ok, item.Id, reply, ChatJsonContext.Default.ChatJoinReply, ct).ConfigureAwait(false);
                    }
                    else
                    {
                        await _connection.SendAsync(MessageTypes.ChatEvent, item.Id, item.Event, ChatJsonContext.Default.ChatEventMessage, item.Text, ct).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException || _connection.IsClosingFailure(ex))
        {
            // The connection closed; the session's disposal removes the member from the hub.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _hub.Remove(this, "disconnected");
        _queue.Writer.TryComplete();
        await _drainer.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
