using System.Text.Json.Serialization;

namespace Ferry.Contracts.Stats;

/// <summary>The fields of a <c>stats</c> response (docs/protocol.md §5.8).</summary>
public sealed class StatsResponse
{
    /// <summary>The server's name and version.</summary>
    public string Server { get; set; } = "";

    /// <summary>The server's process id (for reading /proc on the same machine).</summary>
    public int Pid { get; set; }

    /// <summary>Seconds since the server started.</summary>
    public double UptimeSeconds { get; set; }

    /// <summary>Connection counts.</summary>
    public StatsConnections Connections { get; set; } = new();

    /// <summary>Requests dispatched since start, by message type.</summary>
    public Dictionary<string, long> Requests { get; set; } = [];

    /// <summary>Frame bytes received (header + body) over all connections.</summary>
    public long BytesIn { get; set; }

    /// <summary>Frame bytes sent over all connections.</summary>
    public long BytesOut { get; set; }

    /// <summary>Named counters services keep: <c>exec.processes_running</c>, <c>files.transfers_in_progress</c>, ...</summary>
    public Dictionary<string, long> Counters { get; set; } = [];

    /// <summary>The server process's memory.</summary>
    public StatsMemory Memory { get; set; } = new();

    /// <summary>The servers sharing this server's chat (<c>ferry serve --chat-redis</c>); absent when the chat is in this process only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StatsChatCluster? ChatCluster { get; set; }
}

/// <summary>The chat shared by several servers, as the answering server sees it in Redis (issue #20).</summary>
public sealed class StatsChatCluster
{
    /// <summary>What the chat is shared through, e.g. <c>Redis at redis://10.0.0.5:6379</c> (password hidden).</summary>
    public string SharedThrough { get; set; } = "";

    /// <summary>The answering server's id among <see cref="Servers"/>.</summary>
    public string ServerId { get; set; } = "";

    /// <summary>Whether the answering server has lost Redis right now (chat requests are refused with <c>busy</c>).</summary>
    public bool Degraded { get; set; }

    /// <summary>One PING to Redis from the answering server, in milliseconds; null when it did not answer.</summary>
    public double? RedisRoundTripMillis { get; set; }

    /// <summary>Rooms in the chat (on every server).</summary>
    public int Rooms { get; set; }

    /// <summary>Every server that has joined the chat and not yet been swept as lost.</summary>
    public StatsChatServer[] Servers { get; set; } = [];

    /// <summary>Why Redis could not be read (then only the answering server's own fields are filled in); null when it was.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; set; }
}

/// <summary>One server of a shared chat in a <see cref="StatsChatCluster"/>.</summary>
public sealed class StatsChatServer
{
    /// <summary>Its id in Redis (random per start unless configured).</summary>
    public string Id { get; set; } = "";

    /// <summary>Whether it is the server that answered.</summary>
    public bool This { get; set; }

    /// <summary>Whether its presence key is still alive; a server that stopped beating is swept by the next heartbeat of another.</summary>
    public bool Alive { get; set; }

    /// <summary>Members in rooms on it at its last heartbeat; null when it has not said.</summary>
    public int? Members { get; set; }

    /// <summary>Its last heartbeat, Unix milliseconds by its own clock; null when it has not said.</summary>
    public long? LastHeartbeat { get; set; }

    /// <summary>How long ago that was by the answering server's clock, in milliseconds.</summary>
    public long? HeartbeatAgeMillis { get; set; }
}

/// <summary>Connection counts in a <see cref="StatsResponse"/>.</summary>
public sealed class StatsConnections
{
    /// <summary>Connections open now.</summary>
    public long Current { get; set; }

    /// <summary>Connections accepted since start.</summary>
    public long Total { get; set; }

    /// <summary>Connections that ended before finishing the handshake.</summary>
    public long Refused { get; set; }
}

/// <summary>Process memory in a <see cref="StatsResponse"/>, in bytes.</summary>
public sealed class StatsMemory
{
    /// <summary>Resident set size (working set) of the server process.</summary>
    public long WorkingSetBytes { get; set; }

    /// <summary>Bytes the managed heap holds now (live objects plus garbage not yet collected).</summary>
    public long GcHeapBytes { get; set; }

    /// <summary>Memory the garbage collector had committed from the OS at its last collection (0 before the first).</summary>
    public long GcCommittedBytes { get; set; }

    /// <summary>Collections so far: generation 0, 1 and 2.</summary>
    public int[] GcCollections { get; set; } = [];

    /// <summary>Milliseconds the garbage collector has paused the process in total.</summary>
    public double GcPauseMillis { get; set; }
}

/// <summary>Source-generated (AOT-safe) JSON metadata for the stats contracts: pass its type infos to the typed request helpers or to <c>JsonSerializer</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(StatsChatCluster))]
public sealed partial class StatsJsonContext : JsonSerializerContext
{
}
