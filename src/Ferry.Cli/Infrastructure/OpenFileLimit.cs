namespace Ferry.Cli.Infrastructure;

/// <summary>
/// The process's open-file limit (RLIMIT_NOFILE): every socket is a file descriptor, so holding thousands of
/// connections needs the soft limit raised towards the hard one, which an unprivileged process may do.
/// </summary>
internal static class OpenFileLimit
{
    /// <summary>
    /// Raises the soft limit to at least <paramref name="wanted"/> (capped at the hard limit) on Linux.
    /// Returns the limits in force afterwards; null where they cannot be read (not Linux).
    /// </summary>
    public static (ulong Soft, ulong Hard)? Raise(ulong wanted)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var limit = new NativeMethods.RLimit();
        if (NativeMethods.getrlimit(NativeMethods.RlimitNoFile, ref limit) != 0) return null;
        if (limit.Current < wanted && limit.Current < limit.Maximum)
        {
            var raised = new NativeMethods.RLimit { Current = Math.Min(wanted, limit.Maximum), Maximum = limit.Maximum };
            if (NativeMethods.setrlimit(NativeMethods.RlimitNoFile, ref raised) == 0) limit = raised;
        }
        return (limit.Current, limit.Maximum);
    }

    /// <summary>How many more descriptors this process may open, keeping <paramref name="spare"/> back; null where unknown.</summary>
    public static int? Room((ulong Soft, ulong Hard)? limit, int spare)
    {
        if (limit is not { } l || !OperatingSystem.IsLinux()) return null;
        int open;
        try
        {
            open = Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            return null;
        }
        return (int)Math.Min(int.MaxValue, Math.Max(0, (long)Math.Min(l.Soft, int.MaxValue) - open - spare));
    }
}
