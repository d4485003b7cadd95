using System.Runtime.InteropServices;

namespace Ferry.Cli.Infrastructure;

/// <summary>The few libc calls the CLI needs (Linux only; callers check the platform first).</summary>
internal static class NativeMethods
{
    /// <summary>RLIMIT_NOFILE on Linux.</summary>
    public const int RlimitNoFile = 7;

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int getrlimit(int resource, ref RLimit limit);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int setrlimit(int resource, ref RLimit limit);
}
