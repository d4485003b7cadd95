using System.Globalization;
using Ferry.Client;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// Reads the server's resident memory: from /proc/PID/status when the server's pid is given (same machine),
/// otherwise from the server's own <c>stats</c> answer over a monitoring connection.
/// </summary>
internal sealed class ServerMemoryProbe(FerryClient monitor, int? serverPid)
{
    public string Source => serverPid is { } pid ? $"/proc/{pid}/status" : "stats request";

    /// <summary>Resident bytes now, or null when neither source answers.</summary>
    public async Task<long?> ReadResidentBytesAsync(CancellationToken ct)
    {
        if (serverPid is { } pid) return ReadProcRss(pid);
        try
        {
            var stats = await monitor.GetStatsAsync(ct).ConfigureAwait(false);
            return stats.Memory.WorkingSetBytes;
        }
        catch (Protocol.FerryException)
        {
            return null;
        }
    }

    /// <summary>The connections the server counts as open, when it answers <c>stats</c>.</summary>
    public async Task<long?> ReadServerConnectionsAsync(CancellationToken ct)
    {
        try
        {
            return (await monitor.GetStatsAsync(ct).ConfigureAwait(false)).Connections.Current;
        }
        catch (Protocol.FerryException)
        {
            return null;
        }
    }

    internal static long? ReadProcRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
            // The process is gone.
        }
        catch (UnauthorizedAccessException)
        {
            // Not ours to read.
        }
        return null;
    }
}
