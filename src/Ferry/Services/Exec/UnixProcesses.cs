using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Ferry.Contracts.Exec;

namespace Ferry.Services.Exec;

/// <summary>
/// The few POSIX calls .NET's Process class lacks: signalling a whole process group, becoming the reaper of
/// orphaned descendants, and reaping them. Commands run in their own process group (via setsid), so one
/// kill(-pgid) reaches grandchildren even after their parent shell has exited.
/// </summary>
internal static partial class UnixProcesses
{
    public const int SigKill = 9;
    private const int WNoHang = 1;
    private const int PrSetChildSubreaper = 36;
    private const int FSetPipeSize = 1031;

    /// <summary>The setsid program, or null where there is none (then only Process.Kill(true) is used).</summary>
    public static string? SetsidPath { get; } = OperatingSystem.IsWindows() ? null
        : new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    // Guards the orphan reaper against the moment between fork and recording a command's pid, and holds the pids of
    // commands .NET's Process class still waits for (shared by every server in this process).
    private static readonly Lock s_children = new();
    private static readonly HashSet<int> s_tracked = [];
    private static int s_ownSession = -1;

    /// <summary>Starts a command's process and records its pid, so <see cref="ReapOrphans"/> leaves it to .NET.</summary>
    public static Process StartTracked(ProcessStartInfo info)
    {
        lock (s_children)
        {
            var process = Process.Start(info) ?? throw new InvalidOperationException("the shell did not start");
            s_tracked.Add(process.Id);
            return process;
        }
    }

    /// <summary>
    /// Runs <paramref name="spawn"/> (which starts a process and returns its pid) under the reaper's lock and records the
    /// pid, so <see cref="ReapOrphans"/> leaves its exit status to whoever waits for it (<see cref="PtyProcess"/>).
    /// </summary>
    public static int SpawnTracked(Func<int> spawn)
    {
        lock (s_children)
        {
            int pid = spawn();
            s_tracked.Add(pid);
            return pid;
        }
    }

    /// <summary>Forgets a command's pid once .NET has reaped it.</summary>
    public static void Untrack(int pid)
    {
        lock (s_children) s_tracked.Remove(pid);
    }

    /// <summary>
    /// Reaps every zombie this process inherited as the subreaper: descendants of commands that left the command's
    /// session (<c>setsid sh -c '...' &amp;</c>) and so escaped <see cref="ReapGroupAsync"/>. Only zombies in another
    /// session than this process's are taken (commands run in sessions of their own; children this process's host
    /// started with <see cref="Process"/> share its session), and never a pid recorded by <see cref="StartTracked"/>,
    /// so no exit status that .NET waits for is stolen. Returns how many were reaped. Linux only.
    /// </summary>
    public static int ReapOrphans()
    {
        if (!OperatingSystem.IsLinux() || SetsidPath is null) return 0;
        int self = Environment.ProcessId;
        int reaped = 0;
        lock (s_children)
        {
            if (s_ownSession < 0) s_ownSession = GetSid(0);
            foreach (int pid in Children(self))
            {
                if (s_tracked.Contains(pid) || Stat(pid) is not { } stat) continue;
                if (stat.State == 'Z' && stat.Parent == self && stat.Session != s_ownSession && WaitPid(pid, out _, WNoHang) == pid) reaped++;
            }
        }
        return reaped;
    }

    // The children of every thread of this process (orphans are re-parented to one of its threads).
    private static HashSet<int> Children(int self)
    {
        var children = new HashSet<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{self}/task"))
            {
                string list;
                try
                {
                    list = File.ReadAllText(Path.Combine(task, "children"));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    continue; // the thread ended, or the kernel has no children files (then nothing is reaped here)
                }
                foreach (var item in list.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(item, NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid)) children.Add(pid);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No /proc: nothing to do.
        }
        return children;
    }

    private static (char State, int Parent, int Group, int Session)? Stat(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // Fields after the command name, which may itself contain spaces and parentheses: state ppid pgrp session ...
        int close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 >= stat.Length) return null;
        var fields = stat[(close + 2)..].Split(' ', 5);
        if (fields.Length < 4
            || !int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int parent)
            || !int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out int group)
            || !int.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out int session))
        {
            return null;
        }
        return (fields[0][0], parent, group, session);
    }

    /// <summary>Sends SIGKILL to every process in group <paramref name="pgid"/>; false when the group is empty.</summary>
    public static bool KillGroup(int pgid) => pgid > 1 && Kill(-pgid, SigKill) == 0;

    /// <summary>Sends SIGKILL to process <paramref name="pid"/>; false when there is no such process.</summary>
    public static bool KillPid(int pid) => pid > 1 && Kill(pid, SigKill) == 0;

    /// <summary>
    /// Makes this process the parent of orphaned descendants (Linux), so killed grandchildren whose shell died first
    /// become our zombies, which <see cref="ReapGroupAsync"/> collects, instead of init's (which, in containers, may never reap).
    /// </summary>
    public static void BecomeSubreaper()
    {
        if (OperatingSystem.IsLinux()) _ = Prctl(PrSetChildSubreaper, 1, 0, 0, 0);
    }

    /// <summary>
    /// Kills what is left of group <paramref name="pgid"/> and reaps the members that became our children, until the
    /// group is gone or <paramref name="deadline"/> passes. <paramref name="leader"/> is reaped by .NET, so it is skipped.
    /// </summary>
    public static async Task ReapGroupAsync(int pgid, int leader, TimeSpan deadline)
    {
        if (!KillGroup(pgid)) return; // fast path: nothing left in the group
        if (!OperatingSystem.IsLinux()) return;
        var until = DateTime.UtcNow + deadline;
        int self = Environment.ProcessId;
        while (true)
        {
            bool any = false;
            foreach (var (pid, parent, state) in GroupMembers(pgid))
            {
                if (pid == leader) continue;
                any = true;
                if (state == 'Z' && parent == self) _ = WaitPid(pid, out _, WNoHang);
                else if (state != 'Z') _ = Kill(pid, SigKill);
            }
            if (!any || DateTime.UtcNow > until) return;
            // Killed processes take a moment to become zombies; poll briefly (bounded by the deadline).
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Kills every process of session <paramref name="sid"/> (all its process groups: a terminal's shell puts each job
    /// in one of its own) and reaps those that became our children, until none is left or <paramref name="deadline"/>
    /// passes. <paramref name="leader"/> is reaped by its waiter, so it is skipped. Linux only.
    /// </summary>
    public static async Task ReapSessionAsync(int sid, int leader, int signal, TimeSpan deadline)
    {
        if (!OperatingSystem.IsLinux() || sid <= 1) return;
        var until = DateTime.UtcNow + deadline;
        int self = Environment.ProcessId;
        while (true)
        {
            bool any = false;
            foreach (var (pid, parent, state) in Members(stat => stat.Session == sid))
            {
                if (pid == leader && state == 'Z') continue;
                any = true;
                if (state == 'Z' && parent == self) _ = WaitPid(pid, out _, WNoHang);
                else if (state != 'Z') _ = Kill(pid, signal);
            }
            if (!any || DateTime.UtcNow > until) return;
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    private static IEnumerable<(int Pid, int Parent, char State)> GroupMembers(int pgid) => Members(stat => stat.Group == pgid);

    private static IEnumerable<(int Pid, int Parent, char State)> Members(Func<(char State, int Parent, int Group, int Session), bool> selected)
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (IOException)
        {
            yield break;
        }
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid)) continue;
            if (Stat(pid) is { } stat && selected(stat)) yield return (pid, stat.Parent, stat.State); // null: ended while we looked
        }
    }

    /// <summary>
    /// Grows a pipe's kernel buffer (Linux, best effort) so a fast writer fills it in big strides while we send the
    /// previous chunk: fewer wake-ups per byte. Still bounded, so back-pressure holds.
    /// </summary>
    public static void TryGrowPipe(Stream stream, int bytes)
    {
        if (!OperatingSystem.IsLinux() || stream is not System.IO.Pipes.PipeStream pipe) return;
        _ = Fcntl((int)pipe.SafePipeHandle.DangerousGetHandle(), FSetPipeSize, bytes);
    }

    /// <summary>The conventional name of signal <paramref name="number"/> (Linux numbering).</summary>
    public static string SignalName(int number) => number switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 5 => "SIGTRAP", 6 => "SIGABRT", 7 => "SIGBUS",
        8 => "SIGFPE", 9 => "SIGKILL", 10 => "SIGUSR1", 11 => "SIGSEGV", 12 => "SIGUSR2", 13 => "SIGPIPE",
        14 => "SIGALRM", 15 => "SIGTERM", 17 => "SIGCHLD", 18 => "SIGCONT", 19 => "SIGSTOP", 20 => "SIGTSTP",
        24 => "SIGXCPU", 25 => "SIGXFSZ", 26 => "SIGVTALRM", 27 => "SIGPROF", 31 => "SIGSYS",
        _ => "SIG" + number.ToString(CultureInfo.InvariantCulture),
    };

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getsid", SetLastError = true)]
    private static partial int GetSid(int pid);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, out int status, int options);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
