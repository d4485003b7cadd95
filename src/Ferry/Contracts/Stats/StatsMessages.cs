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
public sealed partial class StatsJsonContext : JsonSerializerContext
{
}
