using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Contracts.Chat;

namespace Ferry.Client;

/// <summary>
/// A chat membership over one <see cref="FerryClient"/>: read <see cref="ReadEventsAsync"/> for what happens in the
/// room (history first, marked), and send with <see cref="SayAsync"/>, <see cref="MsgAsync"/> and the others.
/// Events wait in a bounded buffer; a program that stops reading stops the connection's reads too, and the server
/// eventually disconnects it rather than buffering without end.
/// </summary>
public sealed class ChatSession : IAsyncDisposable
{
    private readonly FerryClient _client;
    private readonly Channel<ChatEvent> _events;
    private long _joinId;

    internal ChatSession(FerryClient client, int bufferedEvents)
    {
        _client = client;
        _events = Channel.CreateBounded<ChatEvent>(new BoundedChannelOptions(bufferedEvents) { SingleWriter = true, SingleReader = true });
    }

    /// <summary>Your nick, as the server confirmed it.</summary>
    public string Nick { get; private set; } = "";

    /// <summary>The room joined, or null after <see cref="LeaveAsync"/>.</summary>
    public string? Room { get; private set; }

    /// <summary>The room's numbering epoch as last seen (join reply or message); with <see cref="LastSeq"/> it is the resume point.</summary>
    public string? Epoch { get; private set; }

    /// <summary>The last message <c>seq</c> this session received in its room (history included).</summary>
    public long LastSeq => Interlocked.Read(ref _lastSeq);

    private long _lastSeq;

    /// <summary>
    /// A <c>chat.join</c> that resumes this session's room where it stopped: same room and nick, <c>since</c> the last
    /// seq received, in its epoch. Send it on a new connection with
    /// <see cref="FerryChatClientExtensions.JoinChatAsync(FerryClient, ChatJoinRequest, int, CancellationToken)"/>.
    /// </summary>
    public ChatJoinRequest ResumeRequest => new()
    {
        Room = Room,
        Nick = Nick.Length == 0 ? null : Nick,
        Since = Epoch is null ? null : LastSeq,
        Epoch = Epoch,
    };

    /// <summary>
    /// The chat's events in arrival order, until the connection closes (then a <see cref="ConnectionClosedException"/>
    /// or <see cref="FerryException"/> says why) or the session is disposed (the sequence just ends).
    /// </summary>
    public async IAsyncEnumerable<ChatEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var chatEvent)) yield return chatEvent;
        }
    }

    /// <summary>Joins <paramref name="room"/> (leaving the current one); <paramref name="nick"/> claims a nick first.</summary>
    public Task<ChatJoinReply> JoinAsync(string room, string? nick = null, CancellationToken cancellationToken = default) =>
        JoinAsync(new ChatJoinRequest { Room = room, Nick = nick }, cancellationToken);

    /// <summary>Joins with a whole request (a resume: <see cref="ResumeRequest"/>).</summary>
    public async Task<ChatJoinReply> JoinAsync(ChatJoinRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        long id = _client.NextId();
        var sink = new JoinSink(this);
        _client.Register(id, sink);
        try
        {
            await _client.Connection.SendAsync(MessageTypes.ChatJoin, id, request,
                ChatJsonContext.Default.ChatJoinRequest, cancellationToken).ConfigureAwait(false);
            var reply = await sink.Joined.WaitAsync(cancellationToken).ConfigureAwait(false);
            long previous = Interlocked.Exchange(ref _joinId, id);
            if (previous != 0) _client.Unregister(previous);
            Nick = reply.Nick;
            Room = reply.Room;
            return reply;
        }
        catch
        {
            _client.Unregister(id);
            throw;
        }
    }

    /// <summary>Says <paramref name="text"/> in the room; returns the message's sequence number there.</summary>
    public async Task<long> SayAsync(string text, CancellationToken cancellationToken = default)
    {
        var response = await _client.RequestAsync<ChatSayRequest, ChatSayReply>(MessageTypes.ChatSay, new ChatSayRequest { Room = Room },
            ChatJsonContext.Default.ChatSayRequest, ChatJsonContext.Default.ChatSayReply, Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        return response.Payload?.Seq ?? 0;
    }

    /// <summary>Sends raw bytes as a message (the server checks they are UTF-8); for tests and bridges.</summary>
    public async Task<long> SayBytesAsync(ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken = default)
    {
        var response = await _client.RequestAsync<ChatSayRequest, ChatSayReply>(MessageTypes.ChatSay, new ChatSayRequest { Room = Room },
            ChatJsonContext.Default.ChatSayRequest, ChatJsonContext.Default.ChatSayReply, utf8, cancellationToken).ConfigureAwait(false);
        return response.Payload?.Seq ?? 0;
    }

    /// <summary>Sends a private message to <paramref name="nick"/>.</summary>
    public Task MsgAsync(string nick, string text, CancellationToken cancellationToken = default) =>
        _client.RequestAsync<ChatMsgRequest, ChatMsgRequest>(MessageTypes.ChatMsg, new ChatMsgRequest { To = nick },
            ChatJsonContext.Default.ChatMsgRequest, null, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>Changes nick; the room is told.</summary>
    public async Task<string> SetNickAsync(string nick, CancellationToken cancellationToken = default)
    {
        var response = await _client.RequestAsync(MessageTypes.ChatNick, new ChatNickMessage { Nick = nick },
            ChatJsonContext.Default.ChatNickMessage, ChatJsonContext.Default.ChatNickMessage, cancellationToken).ConfigureAwait(false);
        Nick = response.Payload?.Nick ?? nick;
        return Nick;
    }

    /// <summary>The nicks in <paramref name="room"/> (default: yours).</summary>
    public async Task<string[]> WhoAsync(string? room = null, CancellationToken cancellationToken = default)
    {
        var response = await _client.RequestAsync(MessageTypes.ChatWho, new ChatWhoMessage { Room = room },
            ChatJsonContext.Default.ChatWhoMessage, ChatJsonContext.Default.ChatWhoMessage, cancellationToken).ConfigureAwait(false);
        return response.Payload?.Members ?? [];
    }

    /// <summary>The server's rooms with their member counts.</summary>
    public Task<ChatRoomInfo[]> RoomsAsync(CancellationToken cancellationToken = default) => _client.ChatRoomsAsync(cancellationToken);

    /// <summary>Leaves the room (announced); the nick stays yours until you disconnect.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        await _client.RequestAsync<ChatWhoMessage, ChatWhoMessage>(MessageTypes.ChatLeave, new ChatWhoMessage(),
            ChatJsonContext.Default.ChatWhoMessage, null, cancellationToken).ConfigureAwait(false);
        Room = null;
    }

    /// <summary>Leaves the room (best effort) and stops delivering events.</summary>
    public ValueTask DisposeAsync()
    {
        long id = Interlocked.Exchange(ref _joinId, 0);
        if (id != 0) _client.Unregister(id);
        _events.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    // A different epoch restarts the numbering; within one, the resume point only moves forward.
    private void Follow(string? epoch, long? seq)
    {
        if (epoch is not null && !string.Equals(epoch, Epoch, StringComparison.Ordinal))
        {
            Epoch = epoch;
            Interlocked.Exchange(ref _lastSeq, 0);
        }
        if (seq is { } s && s > Interlocked.Read(ref _lastSeq)) Interlocked.Exchange(ref _lastSeq, s);
    }

    /// <summary>Receives the join's answer, then the room's events on the same id.</summary>
    private sealed class JoinSink(ChatSession session) : IResponseSink
    {
        private readonly TaskCompletionSource<ChatJoinReply> _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<ChatJoinReply> Joined => _joined.Task;

        public async ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
        {
            if (ReferenceEquals(header.Type, MessageTypes.Error))
            {
                _joined.TrySetException(ErrorFrames.ToException(header));
                return;
            }
            if (ReferenceEquals(header.Type, MessageTypes.Ok))
            {
                var reply = header.ReadPayload(ChatJsonContext.Default.ChatJoinReply);
                session.Follow(reply.Epoch, reply.History == 0 ? reply.Seq : null);
                _joined.TrySetResult(reply);
                return;
            }
            if (!ReferenceEquals(header.Type, MessageTypes.ChatEvent)) return;
            var fields = header.ReadPayload(ChatJsonContext.Default.ChatEventMessage);
            string? text = null;
            if (body.Length > 0)
            {
                var bytes = await body.ReadAllAsync(1024 * 1024, cancellationToken).ConfigureAwait(false);
                text = Encoding.UTF8.GetString(bytes);
            }
            var chatEvent = new ChatEvent(fields.Kind, fields.Room, fields.From, DateTimeOffset.FromUnixTimeMilliseconds(fields.Time), text,
                fields.To, fields.Nick, fields.Seq, fields.History, fields.Reason, fields.Epoch);
            if (fields.Kind == "message") session.Follow(fields.Epoch, fields.Seq);
            else if (fields.Kind == "reset") session.Follow(fields.Epoch, 0);
            if (fields.Kind == "nick" && string.Equals(fields.From, session.Nick, StringComparison.Ordinal) && fields.Nick is not null) session.Nick = fields.Nick;
            try
            {
                // Waiting here is the back-pressure: the connection stops reading until the program catches up.
                await session._events.Writer.WriteAsync(chatEvent, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // The session was disposed; drop the event.
            }
        }

        public void Fail(Exception exception)
        {
            _joined.TrySetException(exception);
            session._events.Writer.TryComplete(exception);
        }
    }
}
