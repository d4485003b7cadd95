using Ferry.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Services.Chat.Redis;

/// <summary>Switches a host's chat to the Redis backplane.</summary>
public static class RedisChatHosting
{
    /// <summary>
    /// Every server built from options given the same Redis (and key prefix) is one chat: rooms, nicks, history and
    /// presence are shared. The server connects at start and refuses to start when Redis does not answer.
    /// </summary>
    public static FerryHostOptions UseRedisChat(this FerryHostOptions options, RedisChatOptions redis)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(redis);
        _ = RedisChatAddress.Parse(redis.Address); // a bad address fails here, not at start
        options.ChatSharedThrough = "Redis at " + RedisChatAddress.Describe(redis.Address);
        options.ChatBackplane = builder =>
        {
            var hub = new RedisChatHub(options.Chat, redis, options.Time);
            builder.AddHostedService(sp => hub.WithLogger(sp.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Chat.Redis")));
            return hub;
        };
        return options;
    }
}
