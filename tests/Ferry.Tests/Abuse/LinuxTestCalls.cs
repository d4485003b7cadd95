using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Ferry.Tests.Abuse;

/// <summary>The system calls the file-root abuse tests make as the "local process" racing the server.</summary>
[SupportedOSPlatform("linux")]
internal static partial class LinuxTestCalls
{
    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;

    /// <summary>Atomically swaps the two names (renameat2 RENAME_EXCHANGE); the errno, or 0.</summary>
    public static int Exchange(string a, string b) => renameat2(AtFdCwd, a, AtFdCwd, b, RenameExchange) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Creates a named pipe.</summary>
    public static void MakeFifo(string path)
    {
        if (mkfifo(path, 0x1B6) != 0) throw new IOException($"mkfifo {path}: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Opens the FIFO for writing without blocking and closes it again: wakes any reader stuck opening it.</summary>
    public static void WakeFifoReaders(string path)
    {
        int fd = open(path, 0x801); // O_WRONLY | O_NONBLOCK: fails (ENXIO) when nobody is reading, which is fine
        if (fd >= 0) _ = close(fd);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mkfifo(string path, uint mode);
}
