using System.Runtime.InteropServices;

namespace Ferry.Cli.Commands.Exec;

/// <summary>
/// The terminal ferry runs in, for a remote terminal session: raw mode (cfmakeraw, as ssh does) and back, its size,
/// and its keystrokes read straight from fd 0. Console's own input is never touched in a session: .NET's console
/// reader sets terminal modes of its own. <see cref="Restore"/> may be called from any thread, any number of times
/// (a signal handler, the session's end, process exit): the saved modes are put back once.
/// </summary>
internal sealed partial class LocalTerminal
{
    private const int TcsaDrain = 1;
    private const nuint TiocGWinSz = 0x5413;
    private const int EIntr = 4;
    // glibc's struct termios is 60 bytes on Linux; room to spare.
    private const int TermiosBytes = 128;
    private readonly byte[] _saved = new byte[TermiosBytes];
    private int _raw;

    private LocalTerminal()
    {
    }

    /// <summary>Whether fd 0 is a terminal whose modes can be read (so raw mode can be entered and undone).</summary>
    public static LocalTerminal? OfStdin()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var terminal = new LocalTerminal();
        return IsATty(0) == 1 && TcGetAttr(0, terminal._saved) == 0 ? terminal : null;
    }

    /// <summary>The size of the terminal on fd 0, or of stdout's, or 80×24.</summary>
    public static (int Columns, int Rows) Size()
    {
        if (OperatingSystem.IsLinux())
        {
            var size = new ushort[4];
            foreach (int fd in (int[])[0, 1, 2])
            {
                if (IoctlWinSize(fd, TiocGWinSz, size) == 0 && size[0] > 0 && size[1] > 0) return (size[1], size[0]);
            }
        }
        return (80, 24);
    }

    /// <summary>Raw mode: every key goes to the remote side as it is typed (Ctrl+C too), nothing echoed here.</summary>
    public void EnterRaw()
    {
        var raw = (byte[])_saved.Clone();
        CfMakeRaw(raw);
        if (TcSetAttr(0, TcsaDrain, raw) == 0) Volatile.Write(ref _raw, 1);
    }

    /// <summary>Puts back the modes the terminal had before <see cref="EnterRaw"/>.</summary>
    public void Restore()
    {
        if (Interlocked.Exchange(ref _raw, 0) == 1) _ = TcSetAttr(0, TcsaDrain, _saved);
    }

    /// <summary>Reads keystrokes from fd 0 (blocking: call it on a thread of its own); 0 at end, -1 on an error.</summary>
    public static unsafe int ReadKeys(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Read(0, p, (nuint)buffer.Length);
                if (n >= 0) return (int)n;
                if (Marshal.GetLastPInvokeError() != EIntr) return -1;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int TcGetAttr(int fd, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int TcSetAttr(int fd, int when, byte[] termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static partial void CfMakeRaw([In, Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlWinSize(int fd, nuint request, [Out] ushort[] size);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nuint count);
}
