using System.CommandLine;
using System.Net;
using Ferry.Cli.Infrastructure;
using Ferry.Hosting;
using Ferry.Services.Chat.Redis;

namespace Ferry.Cli.Commands.Serve;

/// <summary>
/// <c>--chat-history</c>, <c>--chat-max-text</c>, <c>--chat-queue</c>, <c>--chat-room-lifetime</c>,
/// <c>--chat-max-rooms-per-user</c>, <c>--chat-redis</c>, <c>--chat-redis-heartbeat</c>, <c>--udp-chat</c>, <c>--udp-chat-max-datagram</c>.
/// </summary>
internal sealed class ChatServeOptions : IServeOptionGroup
{
    private readonly Option<int> _history = new("--chat-history")
    {
        Description = "Messages each chat room keeps in memory and shows to people who join",
        DefaultValueFactory = _ => 50,
    };
    private readonly Option<int> _maxText = new("--chat-max-text")
    {
        Description = "Largest chat message, in bytes of UTF-8 text; longer ones are refused with an error" + Sizes.Hint,
        CustomParser = Sizes.ParseInt32,
        DefaultValueFactory = _ => 4096,
    };
    private readonly Option<int> _queue = new("--chat-queue")
    {
        Description = "Chat events queued for one member before it counts as stuck and is disconnected (it can rejoin)",
        DefaultValueFactory = _ => 1024,
    };
    private readonly Option<double> _roomLifetime = new("--chat-room-lifetime")
    {
        Description = "Seconds a chat room nobody is in keeps its history; then the room and its history are freed" + Durations.Hint,
        CustomParser = Durations.ParseSeconds,
        DefaultValueFactory = _ => 900,
    };
    private readonly Option<int> _roomsPerUser = new("--chat-max-rooms-per-user")
    {
        Description = "Chat rooms one user may have created that still exist (a new one beyond it is refused as busy)",
        DefaultValueFactory = _ => 100,
    };
    private readonly Option<string?> _redis = new("--chat-redis")
    {
        HelpName = "redis://HOST:PORT[/DB]",
        Description = "Share the chat through Redis: every server given the same Redis is one chat (rooms, nicks, history, " +
            "presence). Password and TLS: redis://:PASSWORD@HOST:PORT, ?password=, rediss:// or ?ssl=true. Without it the chat stays in this process",
    };
    private readonly Option<double> _redisHeartbeat = new("--chat-redis-heartbeat")
    {
        Description = "Seconds between this server's presence beats in Redis; a server silent for two beats counts as lost " +
            "and its members are announced as left" + Durations.Hint,
        CustomParser = Durations.ParseSeconds,
        DefaultValueFactory = _ => 3,
    };
    private readonly Option<string?> _udpChat = new("--udp-chat")
    {
        HelpName = "PORT|HOST:PORT",
        Description = "Also run the UDP chat relay on PORT or HOST:PORT. Datagrams are signed with the shared key in " +
            "<state>/key (created if missing; give it to members). UDP may lose or reorder messages",
    };
    private readonly Option<int> _udpMax = new("--udp-chat-max-datagram")
    {
        Description = "Largest UDP chat datagram accepted, in bytes" + Sizes.Hint,
        CustomParser = Sizes.ParseInt32,
        DefaultValueFactory = _ => Datagrams.UdpChatPacket.DefaultMaxDatagram,
    };

    public void AddTo(Command command)
    {
        command.Add(_history);
        command.Add(_maxText);
        command.Add(_queue);
        command.Add(_roomLifetime);
        command.Add(_roomsPerUser);
        command.Add(_redis);
        command.Add(_redisHeartbeat);
        command.Add(_udpChat);
        command.Add(_udpMax);
    }

    public void Apply(ParseResult result, FerryHostOptions options)
    {
        var chat = options.Chat;
        chat.HistorySize = result.GetValue(_history);
        chat.MaxTextBytes = result.GetValue(_maxText);
        chat.SendQueueCapacity = result.GetValue(_queue);
        if (chat.HistorySize is < 0 or > 100_000) throw new CliUsageException("--chat-history must be 0-100000");
        if (chat.MaxTextBytes is < 1 or > 1024 * 1024) throw new CliUsageException("--chat-max-text must be 1-1048576 bytes");
        if (chat.SendQueueCapacity is < 1 or > 1_000_000) throw new CliUsageException("--chat-queue must be 1-1000000");
        double lifetime = result.GetValue(_roomLifetime);
        if (double.IsNaN(lifetime) || lifetime is < 1 or > 30 * 86400) throw new CliUsageException("--chat-room-lifetime must be 1-2592000 seconds");
        chat.EmptyRoomLifetime = TimeSpan.FromSeconds(lifetime);
        chat.MaxRoomsPerUser = result.GetValue(_roomsPerUser);
        if (chat.MaxRoomsPerUser is < 1 or > 1_000_000) throw new CliUsageException("--chat-max-rooms-per-user must be 1-1000000");
        if (result.GetValue(_redis) is { } redis)
        {
            try
            {
                _ = RedisChatAddress.Parse(redis);
            }
            catch (FormatException ex)
            {
                throw new CliUsageException($"--chat-redis: {ex.Message}");
            }
            double beat = result.GetValue(_redisHeartbeat);
            if (double.IsNaN(beat) || beat is < 0.1 or > 60) throw new CliUsageException("--chat-redis-heartbeat must be 0.1-60 seconds");
            options.UseRedisChat(new RedisChatOptions
            {
                Address = redis,
                HeartbeatInterval = TimeSpan.FromSeconds(beat),
                HeartbeatTimeToLive = TimeSpan.FromSeconds(beat * 2),
            });
        }
        var defaultAddress = options.Server.Endpoints.OfType<IPEndPoint>().FirstOrDefault()?.Address ?? IPAddress.Loopback;
        if (result.GetValue(_udpChat) is { } udp) options.UdpChat.EndPoint = EndPointParser.Parse(udp, defaultAddress, "--udp-chat");
        options.UdpChat.MaxDatagram = result.GetValue(_udpMax);
        if (options.UdpChat.MaxDatagram is < 256 or > 65507) throw new CliUsageException("--udp-chat-max-datagram must be 256-65507");
    }
}
