using Ferry.Contracts.Exec;
namespace Ferry.Services.Exec;

/// <summary>Settings for remote command execution (<c>ferry serve --allow-exec</c> and friends).</summary>
public sealed class ExecOptions
{
    /// <summary>Whether the server runs commands at all. Off by default.</summary>
    public bool Enabled { get; set; }

    /// <summary>The folder commands run in unless the request names one; null for <c>home</c> in the state folder.</summary>
    public string? Directory { get; set; }

    /// <summary>Commands running at once on the whole server.</summary>
    public int MaxConcurrent { get; set; } = 64;

    /// <summary>Commands running at once on one connection.</summary>
    public int MaxPerConnection { get; set; } = 16;

    /// <summary>
    /// Processes (threads count too) one command may run at once, itself included; 0 for no limit. Enforced by a pids
    /// cgroup per command where the server may create one, else by RLIMIT_NPROC for a server that is not root
    /// (docs/security.md §8). A fork bomb then fails to fork past it and ends at its timeout or cancel.
    /// </summary>
    public int MaxProcesses { get; set; } = 256;

    /// <summary>The longest any command may run (requests may ask for less); null for no limit.</summary>
    public TimeSpan? MaxDuration { get; set; }

    /// <summary>
    /// Bytes of <c>exec.stdin</c> queued per command that it has not read yet. Input is queued, not written on the
    /// connection's read loop, so a command that does not read never holds up other frames (cancel, ping).
    /// </summary>
    public long StdinBufferBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// With the stdin queue full, how long the command may read nothing before it is killed and its exchange ends
    /// with <c>busy</c>. While it keeps reading, a full queue slows the sender down instead.
    /// </summary>
    public TimeSpan StdinStallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bytes read from a command's stdout or stderr per frame: small enough that frames interleave.</summary>
    public int ChunkBytes { get; set; } = 64 * 1024;
}
