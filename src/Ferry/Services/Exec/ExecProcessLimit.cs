using System.Globalization;
using Ferry.Protocol;

namespace Ferry.Services.Exec;

/// <summary>
/// The bound on how many processes one command may run at once (<c>ferry serve --exec-max-processes</c>,
/// docs/security.md §8). Where the server may create cgroups (the pids controller writable: cgroup v2 with pids, or a
/// cgroup v1 pids hierarchy; usually as root), every command runs in a pids cgroup of its own with
/// <c>pids.max</c> = N, joined before the command's first instruction, and removed, with everything still in it
/// killed, when the command ends. Otherwise, for a server that is not root, <c>RLIMIT_NPROC</c> (through
/// <c>prlimit</c>); root ignores that limit, so a root server without cgroups has none, and says so.
/// </summary>
internal sealed partial class ExecProcessLimit
{
    private static int s_servers;
    private readonly string? _parent; // this server's cgroup folder, holding one folder per command
    private readonly string? _prlimit;
    private long _commands;

    private ExecProcessLimit(int maxProcesses, ExecProcessLimitKind kind, string description, string? parent = null, int cgroupVersion = 0, string? prlimit = null)
    {
        MaxProcesses = maxProcesses;
        Kind = kind;
        Description = description;
        _parent = parent;
        CgroupVersion = cgroupVersion;
        _prlimit = prlimit;
    }

    /// <summary>At most this many processes (and threads) per command; 0 when there is no limit.</summary>
    public int MaxProcesses { get; }

    /// <summary>Which mechanism is in force.</summary>
    public ExecProcessLimitKind Kind { get; }

    /// <summary>1 or 2 with <see cref="ExecProcessLimitKind.Cgroup"/>.</summary>
    public int CgroupVersion { get; }

    /// <summary>One line for the server's start-up log: what is in force, and why.</summary>
    public string Description { get; }

    /// <summary>The folder that holds this server's per-command cgroups, with <see cref="ExecProcessLimitKind.Cgroup"/>.</summary>
    public string? CgroupParent => _parent;

    /// <summary>Works out what this machine allows for a limit of <paramref name="maxProcesses"/> (0: none).</summary>
    public static ExecProcessLimit Create(int maxProcesses)
    {
        if (maxProcesses <= 0) return new(0, ExecProcessLimitKind.None, "exec: no process limit per command (--exec-max-processes 0)");
        if (!OperatingSystem.IsLinux())
        {
            return new(0, ExecProcessLimitKind.None, "exec: no process limit per command: only Linux has one (cgroups or RLIMIT_NPROC)");
        }
        if (TryCreateCgroupParent() is { } cgroup)
        {
            return new(maxProcesses, ExecProcessLimitKind.Cgroup,
                $"exec: at most {maxProcesses} processes per command, each command in a pids cgroup of its own under {cgroup.Directory} (cgroup v{cgroup.Version})",
                cgroup.Directory, cgroup.Version);
        }
        bool root = Environment.UserName == "root" || GetEuid() == 0;
        var prlimit = new[] { "/usr/bin/prlimit", "/bin/prlimit" }.FirstOrDefault(File.Exists);
        if (root)
        {
            return new(0, ExecProcessLimitKind.None,
                "exec: no process limit per command: the server runs as root, which RLIMIT_NPROC does not bind, and cannot create a pids cgroup here " +
                "(mount the pids controller, or run the server as an ordinary user)");
        }
        if (prlimit is null)
        {
            return new(0, ExecProcessLimitKind.None, "exec: no process limit per command: no prlimit program (Debian: apt-get install util-linux) and no writable pids cgroup");
        }
        return new(maxProcesses, ExecProcessLimitKind.Rlimit,
            $"exec: at most {maxProcesses} processes per command beyond what user '{Environment.UserName}' already runs (RLIMIT_NPROC through prlimit; " +
            "it counts all of the user's processes, so commands share it; a writable pids cgroup would give each command its own)",
            prlimit: prlimit);
    }

    /// <summary>
    /// Prepares the limit for one command: creates its cgroup (with <see cref="ExecProcessLimitKind.Cgroup"/>) and
    /// returns the lease whose <see cref="ExecProcessLease.Wrap"/> turns the command's argument vector into one that
    /// joins the limit and then execs it in place (same pid). Null when there is no limit.
    /// </summary>
    public ExecProcessLease? Begin()
    {
        switch (Kind)
        {
            case ExecProcessLimitKind.Cgroup:
                var directory = Path.Combine(_parent!, Interlocked.Increment(ref _commands).ToString(CultureInfo.InvariantCulture));
                try
                {
                    Directory.CreateDirectory(directory);
                    File.WriteAllText(Path.Combine(directory, "pids.max"), MaxProcesses.ToString(CultureInfo.InvariantCulture));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    TryRemove(directory);
                    throw new FerryException(ProtocolError.IoError, $"cannot create the command's process-limit cgroup {directory}: {ex.Message}");
                }
                return new ExecProcessLease(directory, null, CgroupVersion);
            case ExecProcessLimitKind.Rlimit:
                // RLIMIT_NPROC is checked against every task of the real user id, the server's own threads included:
                // the command may start N more than the user runs now.
                long limit = UserTasks() + MaxProcesses;
                return new ExecProcessLease(null, [_prlimit!, $"--nproc={limit}:{limit}", "--"], 0);
            default:
                return null;
        }
    }

    /// <summary>Removes this server's (then empty) cgroup folder when the server stops.</summary>
    public void Close()
    {
        if (_parent is not null) TryRemove(_parent);
    }

    private static PidsCgroupLocation.Candidate? TryCreateCgroupParent()
    {
        string mountInfo, selfCgroup;
        try
        {
            mountInfo = File.ReadAllText("/proc/self/mountinfo");
            selfCgroup = File.ReadAllText("/proc/self/cgroup");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        int server = Interlocked.Increment(ref s_servers);
        foreach (var candidate in PidsCgroupLocation.Find(mountInfo, selfCgroup))
        {
            if (candidate.Version == 2 && !V2HasPids(candidate.Directory)) continue;
            SweepStale(candidate.Directory);
            var parent = Path.Combine(candidate.Directory, $"ferry-exec-{Environment.ProcessId}-{server}");
            try
            {
                Directory.CreateDirectory(parent);
                // v2: the per-command folders get pids.max only when their parent hands the controller down.
                if (candidate.Version == 2) File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), "+pids");
                var probe = Path.Combine(parent, "probe");
                Directory.CreateDirectory(probe);
                bool works = File.Exists(Path.Combine(probe, "pids.max"));
                Directory.Delete(probe);
                if (works) return candidate with { Directory = parent };
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not ours to create (read-only, delegated elsewhere, not root): try the next, then RLIMIT_NPROC.
            }
            TryRemove(parent);
        }
        return null;
    }

    // v2 offers pids to our children only if our own cgroup lists it and passes it down (or can be made to).
    private static bool V2HasPids(string directory)
    {
        try
        {
            if (!File.ReadAllText(Path.Combine(directory, "cgroup.controllers")).Split(' ', '\n').Contains("pids")) return false;
            var subtree = Path.Combine(directory, "cgroup.subtree_control");
            if (File.ReadAllText(subtree).Split(' ', '\n').Contains("pids")) return true;
            File.WriteAllText(subtree, "+pids"); // fails (EBUSY) where our cgroup holds processes and is not the root
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // Folders of servers that died without removing theirs (ferry-exec-PID-N with no such PID): empty ones go.
    private static void SweepStale(string directory)
    {
        try
        {
            foreach (var stale in Directory.EnumerateDirectories(directory, "ferry-exec-*"))
            {
                var parts = Path.GetFileName(stale).Split('-');
                if (parts.Length != 4 || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
                if (pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}")) continue;
                TryRemove(stale);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing to sweep.
        }
    }

    // A cgroup folder is removed with rmdir (its files are the kernel's), children first; a busy one stays.
    internal static bool TryRemove(string directory)
    {
        try
        {
            if (!Directory.Exists(directory)) return true;
            foreach (var child in Directory.EnumerateDirectories(directory)) TryRemove(child);
            Directory.Delete(directory, recursive: false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // Tasks (threads count) whose real uid is ours: what RLIMIT_NPROC compares with.
    private static long UserTasks()
    {
        var uid = GetUid().ToString(CultureInfo.InvariantCulture);
        long tasks = 0;
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(entry);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
            string status;
            try
            {
                status = File.ReadAllText(Path.Combine(entry, "status"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // ended while we looked
            }
            string? realUid = null;
            long threads = 1;
            foreach (var line in status.Split('\n'))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal)) realUid = line[4..].Trim().Split('\t', ' ')[0];
                else if (line.StartsWith("Threads:", StringComparison.Ordinal)) _ = long.TryParse(line[8..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out threads);
            }
            if (realUid == uid) tasks += threads;
        }
        return tasks;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetUid();
}

/// <summary>Which process limit a server's commands run under.</summary>
internal enum ExecProcessLimitKind
{
    /// <summary>No limit (turned off, not Linux, or root without a writable pids cgroup).</summary>
    None,

    /// <summary>A pids cgroup per command.</summary>
    Cgroup,

    /// <summary>RLIMIT_NPROC through prlimit (shared by all of the server user's processes).</summary>
    Rlimit,
}
