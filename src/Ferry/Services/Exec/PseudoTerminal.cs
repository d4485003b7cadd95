using System.Runtime.InteropServices;
using Ferry.Protocol;

namespace Ferry.Services.Exec;

/// <summary>
/// A pseudo-terminal pair and the one way a command is started on it (Linux): <c>posix_spawn</c> with
/// <c>POSIX_SPAWN_SETSID</c>, so the child becomes leader of a new session before its file actions run, and opening the
/// slave onto fds 0, 1 and 2 without <c>O_NOCTTY</c> makes it the session's controlling terminal. The .NET process is
/// never forked: glibc's posix_spawn runs no managed code in the child (a vfork-style clone straight into exec).
/// </summary>
internal static unsafe partial class PseudoTerminal
{
    private const int ORdWr = 0x2;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int FGetFl = 3;
    private const int FSetFl = 4;
    private const nuint TiocSWinSz = 0x5414;
    private const short PosixSpawnSetSigDef = 0x04;
    private const short PosixSpawnSetSigMask = 0x08;
    private const short PosixSpawnSetSid = 0x80;
    private const int EIntr = 4;
    // glibc's posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80, sigset_t 128: room to spare.
    private const int OpaqueBytes = 1024;
    private static readonly Lock s_passwd = new();

    /// <summary>Whether this platform can run commands on a terminal (Linux only; elsewhere <c>unsupported</c>).</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>
    /// Opens a new pseudo-terminal of <paramref name="cols"/> × <paramref name="rows"/>: the master's fd (non-blocking,
    /// close-on-exec) and the slave's path (<c>/dev/pts/N</c>). Throws <c>io_error</c> when the system has none free.
    /// </summary>
    public static (int Master, string SlavePath) Open(int cols, int rows)
    {
        int master = PosixOpenpt(ORdWr | ONoCtty | OCloExec);
        if (master < 0) throw Failure("cannot open a pseudo-terminal (posix_openpt)");
        try
        {
            if (Grantpt(master) != 0 || Unlockpt(master) != 0) throw Failure("cannot unlock the pseudo-terminal (grantpt/unlockpt)");
            var name = stackalloc byte[256];
            int error = PtsnameR(master, name, 256);
            if (error != 0) throw new FerryException(ProtocolError.IoError, $"cannot name the pseudo-terminal (ptsname_r: errno {error})");
            var path = Marshal.PtrToStringUTF8((nint)name)!;
            int flags = Fcntl(master, FGetFl, 0);
            if (flags < 0 || Fcntl(master, FSetFl, flags | ONonBlock) < 0) throw Failure("cannot make the pseudo-terminal non-blocking");
            Resize(master, cols, rows);
            return (master, path);
        }
        catch
        {
            _ = Close(master);
            throw;
        }
    }

    /// <summary>Sets the terminal's size (TIOCSWINSZ); the kernel sends SIGWINCH to its foreground process group.</summary>
    public static void Resize(int master, int cols, int rows)
    {
        var size = new WinSize { Rows = (ushort)rows, Cols = (ushort)cols };
        _ = Ioctl(master, TiocSWinSz, &size);
    }

    /// <summary>
    /// Starts <paramref name="argv"/> (argv[0] an absolute path) in <paramref name="directory"/> with exactly
    /// <paramref name="environment"/>, as leader of a new session whose controlling terminal is
    /// <paramref name="slavePath"/>, with every signal at its default and none blocked. Returns its pid.
    /// </summary>
    public static int Spawn(string[] argv, IEnumerable<string> environment, string directory, string slavePath)
    {
        var attr = NativeMemory.AllocZeroed(OpaqueBytes);
        var actions = NativeMemory.AllocZeroed(OpaqueBytes);
        var signals = NativeMemory.AllocZeroed(OpaqueBytes);
        var strings = new List<nint>();
        var arrays = new List<nint>();
        nint Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            strings.Add(p);
            return p;
        }
        nint* Array(IReadOnlyList<string> items)
        {
            var array = (nint*)NativeMemory.AllocZeroed((nuint)(items.Count + 1), (nuint)sizeof(nint));
            arrays.Add((nint)array);
            for (int i = 0; i < items.Count; i++) array[i] = Utf8(items[i]);
            return array;
        }
        try
        {
            Check(PosixSpawnattrInit(attr), "posix_spawnattr_init");
            Check(PosixSpawnFileActionsInit(actions), "posix_spawn_file_actions_init");
            try
            {
                // .NET ignores SIGPIPE and blocks signals on its threads; a command must start as from a login.
                Check(SigEmptySet(signals), "sigemptyset");
                Check(PosixSpawnattrSetSigmask(attr, signals), "posix_spawnattr_setsigmask");
                Check(SigFillSet(signals), "sigfillset");
                Check(PosixSpawnattrSetSigdefault(attr, signals), "posix_spawnattr_setsigdefault");
                Check(PosixSpawnattrSetflags(attr, (short)(PosixSpawnSetSid | PosixSpawnSetSigDef | PosixSpawnSetSigMask)), "posix_spawnattr_setflags");
                // After setsid: the first terminal a session leader opens without O_NOCTTY becomes its controlling terminal.
                Check(PosixSpawnFileActionsAddopen(actions, 0, (byte*)Utf8(slavePath), ORdWr, 0), "posix_spawn_file_actions_addopen");
                Check(PosixSpawnFileActionsAdddup2(actions, 0, 1), "posix_spawn_file_actions_adddup2");
                Check(PosixSpawnFileActionsAdddup2(actions, 0, 2), "posix_spawn_file_actions_adddup2");
                Check(PosixSpawnFileActionsAddchdirNp(actions, (byte*)Utf8(directory)), "posix_spawn_file_actions_addchdir_np");
                var args = Array(argv);
                var env = Array([.. environment]);
                int pid;
                int error = PosixSpawn(&pid, (byte*)args[0], actions, attr, args, env);
                if (error != 0)
                {
                    throw new FerryException(ProtocolError.IoError, $"cannot start {argv[0]} on a terminal: {Marshal.GetPInvokeErrorMessage(error)}");
                }
                return pid;
            }
            finally
            {
                _ = PosixSpawnFileActionsDestroy(actions);
                _ = PosixSpawnattrDestroy(attr);
            }
        }
        finally
        {
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
            foreach (var p in arrays) NativeMemory.Free((void*)p);
            NativeMemory.Free(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(signals);
        }
    }

    /// <summary>The server user's login shell: its passwd entry (getpwuid), else <c>$SHELL</c>, else <c>/bin/sh</c>.</summary>
    public static string LoginShell()
    {
        lock (s_passwd)
        {
            var entry = GetPwUid(GetUid());
            if (entry is not null && entry->Shell is not null && Marshal.PtrToStringUTF8((nint)entry->Shell) is { Length: > 0 } shell
                && Path.IsPathFullyQualified(shell) && File.Exists(shell))
            {
                return shell;
            }
        }
        var variable = Environment.GetEnvironmentVariable("SHELL");
        return variable is { Length: > 0 } && Path.IsPathFullyQualified(variable) && File.Exists(variable) ? variable : "/bin/sh";
    }

    /// <summary>Waits (blocking: call it on a thread of its own) for <paramref name="pid"/> to end and returns its raw wait status.</summary>
    public static int WaitForExit(int pid)
    {
        while (true)
        {
            int status;
            int r = WaitPid(pid, &status, 0);
            if (r == pid) return status;
            if (r < 0 && Marshal.GetLastPInvokeError() == EIntr) continue;
            return -1; // not our child any more: nothing to report but "unknown"
        }
    }

    /// <summary>
    /// Waits until <paramref name="fd"/> is readable (<paramref name="write"/> false) or writable, or <paramref name="wake"/>
    /// is readable; false when woken.
    /// </summary>
    public static bool WaitReady(int fd, bool write, int wake)
    {
        var fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = fd, Events = (short)(write ? 0x4 : 0x1) };
        fds[1] = new PollFd { Fd = wake, Events = 0x1 };
        while (true)
        {
            int r = Poll(fds, 2, -1);
            if (r < 0 && Marshal.GetLastPInvokeError() == EIntr) continue;
            if (r < 0) return false;
            if ((fds[1].REvents & 0x1) != 0) return false;
            return true; // readable, writable, hung up or in error: the next read or write says which
        }
    }

    /// <summary>read(2): bytes read, 0 at end, -1 when it would block, -2 on an error (EIO once every slave fd is closed).</summary>
    public static int Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = ReadNative(fd, p, (nuint)buffer.Length);
                if (n >= 0) return (int)n;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EIntr) continue;
                return errno == 11 ? -1 : -2; // EAGAIN
            }
        }
    }

    /// <summary>write(2): bytes written, -1 when it would block, -2 on an error.</summary>
    public static int Write(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = WriteNative(fd, p, (nuint)buffer.Length);
                if (n >= 0) return (int)n;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EIntr) continue;
                return errno == 11 ? -1 : -2;
            }
        }
    }

    /// <summary>A pipe (close-on-exec) whose read end wakes <see cref="WaitReady"/> once anything is written to it.</summary>
    public static (int Read, int Write) WakePipe()
    {
        var fds = stackalloc int[2];
        if (Pipe2(fds, OCloExec | ONonBlock) != 0) throw Failure("cannot make a pipe");
        return (fds[0], fds[1]);
    }

    public static void Wake(int fd)
    {
        byte one = 1;
        _ = WriteNative(fd, &one, 1);
    }

    public static void CloseFd(int fd)
    {
        if (fd >= 0) _ = Close(fd);
    }

    private static void Check(int result, string call)
    {
        if (result != 0) throw new FerryException(ProtocolError.IoError, $"cannot start a command on a terminal ({call} failed: {result})");
    }

    private static FerryException Failure(string what) =>
        new(ProtocolError.IoError, $"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Cols;
        public ushort XPixel;
        public ushort YPixel;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public byte* Name;
        public byte* Password;
        public uint Uid;
        public uint Gid;
        public byte* Gecos;
        public byte* Directory;
        public byte* Shell;
    }

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int PosixOpenpt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int Grantpt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int Unlockpt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r")]
    private static partial int PtsnameR(int fd, byte* buffer, nuint length);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, WinSize* size);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteNative(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, int* status, int options);

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "getpwuid")]
    private static partial Passwd* GetPwUid(uint uid);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    private static partial int SigEmptySet(void* set);

    [LibraryImport("libc", EntryPoint = "sigfillset")]
    private static partial int SigFillSet(void* set);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    private static partial int PosixSpawnattrInit(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    private static partial int PosixSpawnattrDestroy(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    private static partial int PosixSpawnattrSetflags(void* attr, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    private static partial int PosixSpawnattrSetSigmask(void* attr, void* set);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    private static partial int PosixSpawnattrSetSigdefault(void* attr, void* set);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static partial int PosixSpawnFileActionsInit(void* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static partial int PosixSpawnFileActionsDestroy(void* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
    private static partial int PosixSpawnFileActionsAddopen(void* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    private static partial int PosixSpawnFileActionsAdddup2(void* actions, int fd, int newFd);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    private static partial int PosixSpawnFileActionsAddchdirNp(void* actions, byte* path);

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    private static partial int PosixSpawn(int* pid, byte* path, void* actions, void* attr, nint* argv, nint* envp);
}
