using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Ferry.Datagrams;

namespace Ferry.Client;

/// <summary>Windows' SetSystemTime (UTC, millisecond resolution), which needs SeSystemtimePrivilege.</summary>
[SupportedOSPlatform("windows")]
internal static partial class WindowsClock
{
    private const int ErrorPrivilegeNotHeld = 1314;

    /// <summary>Administrators hold the privilege (disabled until used; SetSystemTime enables it).</summary>
    public static bool HasPrivilege()
    {
        using var identity = System.Security.Principal.WindowsIdentity.GetCurrent();
        return new System.Security.Principal.WindowsPrincipal(identity).IsInRole(System.Security.Principal.WindowsBuiltInRole.Administrator);
    }

    public static void Step(NtpDuration offset)
    {
        var target = DateTime.UtcNow + offset.ToTimeSpan();
        var time = new SystemTime
        {
            Year = (ushort)target.Year,
            Month = (ushort)target.Month,
            DayOfWeek = (ushort)target.DayOfWeek,
            Day = (ushort)target.Day,
            Hour = (ushort)target.Hour,
            Minute = (ushort)target.Minute,
            Second = (ushort)target.Second,
            Milliseconds = (ushort)target.Millisecond,
        };
        if (SetSystemTime(in time)) return;
        int error = Marshal.GetLastPInvokeError();
        if (error == ErrorPrivilegeNotHeld) throw new UnauthorizedAccessException("Windows refused: setting the clock needs SeSystemtimePrivilege (run as Administrator)");
        throw new IOException($"SetSystemTime failed: {Marshal.GetPInvokeErrorMessage(error)}");
    }

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool SetSystemTime(in SystemTime time);

    [StructLayout(LayoutKind.Sequential)]
    private struct SystemTime
    {
        public ushort Year;
        public ushort Month;
        public ushort DayOfWeek;
        public ushort Day;
        public ushort Hour;
        public ushort Minute;
        public ushort Second;
        public ushort Milliseconds;
    }
}
