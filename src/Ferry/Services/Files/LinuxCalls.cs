using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// The *at() system calls <see cref="LinuxFileRoot"/> is built on: every one takes a directory descriptor and a
/// single name, so what it acts on is fixed by descriptors already held, never by re-reading a path. Errors come back
/// as the exceptions .NET's own file APIs throw (so <see cref="FileErrors"/> maps them the same way).
/// </summary>
[SupportedOSPlatform("linux")]
internal static unsafe partial class LinuxCalls
{
    public const int ENOENT = 2, EINTR = 4, EAGAIN = 11, EACCES = 13, EPERM = 1, EEXIST = 17, EXDEV = 18, ENOTDIR = 20,
        EISDIR = 21, EINVAL = 22, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, EOPNOTSUPP = 95;

    public const int O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x40, O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    public const int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    public const uint RENAME_NOREPLACE = 1;
    public const int LOCK_EX = 2, LOCK_NB = 4;

    public const int S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFIFO = 0x1000,
        S_IFSOCK = 0xC000, S_IFCHR = 0x2000, S_IFBLK = 0x6000;

    private const uint StatxBasicStats = 0x7ff;
    private const long UtimeOmit = (1L << 30) - 2;

    /// <summary>O_DIRECTORY and O_NOFOLLOW differ between architectures; null where this build does not know them.</summary>
    public static readonly (int Directory, int NoFollow)? ArchFlags = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.RiscV64 or Architecture.LoongArch64 => (0x10000, 0x20000),
        Architecture.Arm64 or Architecture.Arm => (0x4000, 0x8000),
        _ => null,
    };

    public static int O_DIRECTORY => ArchFlags!.Value.Directory;

    public static int O_NOFOLLOW => ArchFlags!.Value.NoFollow;

    /// <summary>What <c>statx</c> says about one entry (the fields the file service uses).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct Statx
    {
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long MtimeSeconds;
        [FieldOffset(120)] public uint MtimeNanoseconds;

        public readonly int Type => Mode & S_IFMT;

        public readonly long MtimeMilliseconds => MtimeSeconds * 1000 + MtimeNanoseconds / 1_000_000;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>openat(2); returns the descriptor or -1 with the errno in <paramref name="errno"/>.</summary>
    public static int OpenAt(int dir, string name, int flags, int mode, out int errno)
    {
        int fd;
        do
        {
            fd = openat(dir, name, flags, mode);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (fd < 0 && errno == EINTR);
        return fd;
    }

    /// <summary>statx(2) of <paramref name="name"/> in <paramref name="dir"/> (links not followed), or of <paramref name="dir"/> itself when name is "".</summary>
    public static int StatAt(int dir, string name, out Statx stat)
    {
        stat = default;
        fixed (Statx* buffer = &stat)
        {
            int flags = AT_SYMLINK_NOFOLLOW | (name.Length == 0 ? AT_EMPTY_PATH : 0);
            return statx(dir, name, flags, StatxBasicStats, buffer) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>The target text of the link <paramref name="name"/> in <paramref name="dir"/>; null with the errno when it is not one.</summary>
    public static string? ReadLinkAt(int dir, string name, out int errno)
    {
        var buffer = new byte[4096];
        fixed (byte* bytes = buffer)
        {
            nint length = readlinkat(dir, name, bytes, buffer.Length);
            errno = length < 0 ? Marshal.GetLastPInvokeError() : 0;
            return length < 0 ? null : System.Text.Encoding.UTF8.GetString(bytes, (int)length);
        }
    }

    public static int MkdirAt(int dir, string name, int mode) => mkdirat(dir, name, (uint)mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int UnlinkAt(int dir, string name, int flags) => unlinkat(dir, name, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>renameat2(2) inside one folder; <paramref name="flags"/> 0 is plain renameat.</summary>
    public static int RenameAt(int dir, string from, string to, uint flags) =>
        (flags == 0 ? renameat(dir, from, dir, to) : renameat2(dir, from, dir, to, flags)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int Flock(int fd, int operation) => flock(fd, operation) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int Fchmod(int fd, int mode) => fchmod(fd, (uint)mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Sets the modification time of an open file (the access time is left alone).</summary>
    public static int SetMtime(int fd, long unixMilliseconds)
    {
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Seconds = 0, Nanoseconds = UtimeOmit };
        times[1] = new Timespec { Seconds = Math.DivRem(unixMilliseconds, 1000, out long ms) - (ms < 0 ? 1 : 0), Nanoseconds = ((ms + 1000) % 1000) * 1_000_000 };
        return futimens(fd, times) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>
    /// The names in the open folder <paramref name="dir"/> (without "." and ".."), read through a descriptor of its
    /// own so <paramref name="dir"/> stays usable.
    /// </summary>
    public static List<string> ReadNames(int dir)
    {
        int own = OpenAt(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, out int errno);
        if (own < 0) throw Error(errno, "reading a folder");
        nint stream = fdopendir(own);
        if (stream == 0)
        {
            errno = Marshal.GetLastPInvokeError();
            _ = close(own);
            throw Error(errno, "reading a folder");
        }
        var names = new List<string>();
        try
        {
            while (true)
            {
                nint entry = readdir(stream);
                if (entry == 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                    if (errno != 0) throw Error(errno, "reading a folder");
                    return names;
                }
                // struct dirent on 64-bit glibc and musl: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                var name = Marshal.PtrToStringUTF8(entry + 19)!;
                if (name is not "." and not "..") names.Add(name);
            }
        }
        finally
        {
            _ = closedir(stream);
        }
    }

    public static int Close(int fd) => close(fd);

    /// <summary>The exception .NET's own file APIs throw for <paramref name="errno"/>.</summary>
    public static Exception Error(int errno, string what)
    {
        var message = $"{Marshal.GetPInvokeErrorMessage(errno)} ({what})";
        return errno switch
        {
            ENOENT or ENOTDIR => new FileNotFoundException(message),
            EACCES or EPERM => new UnauthorizedAccessException(message),
            _ => new IOException(message, errno),
        };
    }

    [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int openat(int dirfd, string pathname, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string pathname, int flags, uint mask, Statx* buffer);

    [LibraryImport("libc", EntryPoint = "readlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint readlinkat(int dirfd, string pathname, byte* buffer, nint size);

    [LibraryImport("libc", EntryPoint = "mkdirat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mkdirat(int dirfd, string pathname, uint mode);

    [LibraryImport("libc", EntryPoint = "unlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int unlinkat(int dirfd, string pathname, int flags);

    [LibraryImport("libc", EntryPoint = "renameat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int renameat(int olddirfd, string oldpath, int newdirfd, string newpath);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int fchmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int futimens(int fd, Timespec* times);

    [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)]
    private static partial nint fdopendir(int fd);

    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static partial nint readdir(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir", SetLastError = true)]
    private static partial int closedir(nint dir);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);
}
