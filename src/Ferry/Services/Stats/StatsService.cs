using Ferry.Protocol;
using Ferry.Server;
using Ferry.Contracts.Stats;

namespace Ferry.Services.Stats;

/// <summary>Answers <c>stats</c> with the server's running totals and memory; any authenticated peer may ask.</summary>
public sealed class StatsService(ServerStats stats, string serverName) : IFerryService
{
    private readonly Func<CancellationToken, ValueTask<StatsChatCluster?>>? _chatCluster;

    /// <summary>With the view of a chat shared by several servers (the Redis hub), added to every answer.</summary>
    internal StatsService(ServerStats stats, string serverName, Func<CancellationToken, ValueTask<StatsChatCluster?>>? chatCluster)
        : this(stats, serverName) => _chatCluster = chatCluster;

    /// <summary>Answers <c>stats</c>, open to any authenticated peer.</summary>
    public void MapRoutes(ServiceRoutes routes) => routes.Map(MessageTypes.Stats, StatsAsync);

    private async ValueTask StatsAsync(RequestContext request)
    {
        var gc = GC.GetGCMemoryInfo();
        var response = new StatsResponse
        {
            Server = serverName,
            Pid = Environment.ProcessId,
            UptimeSeconds = Math.Round(stats.Uptime.TotalSeconds, 3),
            Connections = new StatsConnections
            {
                Current = stats.ConnectionsCurrent,
                Total = stats.ConnectionsTotal,
                Refused = stats.ConnectionsRefused,
            },
            Requests = new Dictionary<string, long>(stats.Requests, StringComparer.Ordinal),
            BytesIn = stats.BytesIn,
            BytesOut = stats.BytesOut,
            Counters = new Dictionary<string, long>(stats.Counters, StringComparer.Ordinal),
            Memory = new StatsMemory
            {
                WorkingSetBytes = Environment.WorkingSet,
                GcHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
                GcCommittedBytes = gc.TotalCommittedBytes,
                GcCollections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)],
                GcPauseMillis = Math.Round(GC.GetTotalPauseDuration().TotalMilliseconds, 1),
            },
        };
        if (_chatCluster is not null) response.ChatCluster = await _chatCluster(request.CancellationToken).ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.Stats, response, StatsJsonContext.Default.StatsResponse,
            request.CancellationToken).ConfigureAwait(false);
    }
}
