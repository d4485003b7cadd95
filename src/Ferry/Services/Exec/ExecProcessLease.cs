using System.Globalization;

namespace Ferry.Services.Exec;

/// <summary>
/// One command's share of the process limit (<see cref="ExecProcessLimit.Begin"/>): the argument vector that puts the
/// command under it before it runs, the kill that reaches everything in its cgroup, and the removal of the cgroup
/// when the command has ended.
/// </summary>
internal sealed class ExecProcessLease
{
    // sh writes its own pid into the cgroup, then execs the command in place: the command's first instruction already
    // runs inside the limit, and so does every process it starts. If the join fails the command does not run.
    private const string JoinScript =
        "echo $$ > \"$0\" || { echo \"ferry: cannot join the command's process-limit cgroup $0\" >&2; exit 126; }; exec \"$@\"";
    private readonly string? _cgroup;
    private readonly string[]? _prefix;
    private readonly int _version;

    internal ExecProcessLease(string? cgroup, string[]? prefix, int version)
    {
        _cgroup = cgroup;
        _prefix = prefix;
        _version = version;
    }

    /// <summary>The command's cgroup folder, or null under RLIMIT_NPROC.</summary>
    public string? Cgroup => _cgroup;

    /// <summary>
    /// The argument vector that runs <paramref name="argv"/> (program first) under the limit, as the same process:
    /// with a cgroup, <c>/bin/sh -c 'echo $$ &gt; CGROUP/cgroup.procs &amp;&amp; exec "$@"' ... argv</c>; with
    /// RLIMIT_NPROC, <c>prlimit --nproc=N:N -- argv</c>. Any spawn path (pipes or a PTY) execs this instead of argv.
    /// </summary>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> argv)
    {
        if (_cgroup is not null) return ["/bin/sh", "-c", JoinScript, Path.Combine(_cgroup, "cgroup.procs"), .. argv];
        return [.. _prefix!, .. argv];
    }

    /// <summary>SIGKILLs every process in the command's cgroup (nothing under RLIMIT_NPROC); true when it was empty.</summary>
    public bool KillAll()
    {
        if (_cgroup is null) return true;
        if (_version == 2 && File.Exists(Path.Combine(_cgroup, "cgroup.kill")))
        {
            try
            {
                File.WriteAllText(Path.Combine(_cgroup, "cgroup.kill"), "1");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone already.
            }
        }
        bool empty = true;
        foreach (int pid in Members())
        {
            empty = false;
            UnixProcesses.KillPid(pid);
        }
        return empty;
    }

    /// <summary>
    /// After the command's shell has ended: kills what is left in its cgroup until none is left (a fork bomb refills
    /// it only as fast as pids.max allows, so this converges), then removes the cgroup. Bounded by <paramref name="patience"/>.
    /// </summary>
    public async Task EndAsync(TimeSpan patience)
    {
        if (_cgroup is null) return;
        var until = DateTime.UtcNow + patience;
        while (!KillAll() && DateTime.UtcNow < until)
        {
            UnixProcesses.ReapOrphans(); // the killed become our zombies (we are their subreaper)
            await Task.Delay(5).ConfigureAwait(false);
        }
        // Exited processes leave the cgroup's list at once, zombies included, but rmdir may still see them for a moment.
        while (!ExecProcessLimit.TryRemove(_cgroup) && DateTime.UtcNow < until) await Task.Delay(5).ConfigureAwait(false);
        UnixProcesses.ReapOrphans();
    }

    private List<int> Members()
    {
        var pids = new List<int>();
        try
        {
            foreach (var line in File.ReadAllLines(Path.Combine(_cgroup!, "cgroup.procs")))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) pids.Add(pid);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed already.
        }
        return pids;
    }
}
