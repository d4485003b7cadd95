using System.Runtime.InteropServices;

namespace Ferry.Datagrams;

/// <summary>
/// The Linux kernel's clock discipline through adjtimex(2): reading its status needs no privilege; slewing
/// (ADJ_OFFSET_SINGLESHOT) and stepping (ADJ_SETOFFSET) need CAP_SYS_TIME, which the kernel itself enforces.
/// </summary>
internal static partial class KernelClock
{
    private const uint AdjOffsetSingleShot = 0x8001;
    private const uint AdjSetOffset = 0x0100;
    private const uint AdjNano = 0x2000;
    private const int StaInsert = 0x0010;
    private const int StaDelete = 0x0020;
    private const int StaUnsync = 0x0040;
    private const int CapSysTime = 25;
    private const int EPERM = 1;

    /// <summary>What the kernel says about the clock; null where there is no adjtimex (not Linux, or refused).</summary>
    public static KernelClockStatus? ReadStatus()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var timex = default(Timex);
        try
        {
            if (adjtimex(ref timex) < 0) return null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        var leap = (timex.Status & StaInsert) != 0 ? SntpLeap.InsertSecond : (timex.Status & StaDelete) != 0 ? SntpLeap.DeleteSecond : SntpLeap.None;
        return new KernelClockStatus(leap, (timex.Status & StaUnsync) == 0, TimeSpan.FromMicroseconds(timex.EstError), TimeSpan.FromMicroseconds(timex.MaxError));
    }

    /// <summary>Whether this process holds CAP_SYS_TIME in its effective set (from /proc/self/status).</summary>
    public static bool HasTimeCapability()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("CapEff:", StringComparison.Ordinal)) continue;
                ulong mask = Convert.ToUInt64(line[7..].Trim(), 16);
                return (mask & (1UL << CapSysTime)) != 0;
            }
        }
        catch (IOException)
        {
        }
        catch (FormatException)
        {
        }
        return false;
    }

    /// <summary>Slews the clock by <paramref name="offset"/> (at most 500 ppm, so 0.1 s takes 200 s); throws on refusal.</summary>
    public static void Slew(NtpDuration offset)
    {
        var timex = new Timex { Modes = AdjOffsetSingleShot, Offset = (nint)Math.Round(offset.TotalMicroseconds) };
        Check(adjtimex(ref timex), "slew");
    }

    /// <summary>Steps the clock by <paramref name="offset"/> at once, atomically relative to its current reading.</summary>
    public static void Step(NtpDuration offset)
    {
        long nanoseconds = offset.TotalNanoseconds;
        long seconds = Math.DivRem(nanoseconds, 1_000_000_000L, out long remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += 1_000_000_000L; // the kernel wants 0 <= nanoseconds < 1e9
        }
        var timex = new Timex { Modes = AdjSetOffset | AdjNano, TimeSeconds = (nint)seconds, TimeMicroseconds = (nint)remainder };
        Check(adjtimex(ref timex), "step");
    }

    private static void Check(int result, string what)
    {
        if (result >= 0) return;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == EPERM) throw new UnauthorizedAccessException($"the kernel refused to {what} the clock: this process lacks CAP_SYS_TIME");
        throw new IOException($"adjtimex ({what}) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int adjtimex(ref Timex buffer);

    /// <summary>struct timex from &lt;sys/timex.h&gt;: C longs are pointer-sized on Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Timex
    {
        public uint Modes;
        public nint Offset;
        public nint Frequency;
        public nint MaxError;
        public nint EstError;
        public int Status;
        public nint Constant;
        public nint Precision;
        public nint Tolerance;
        public nint TimeSeconds;
        public nint TimeMicroseconds;
        public nint Tick;
        public nint PpsFrequency;
        public nint Jitter;
        public int Shift;
        public nint Stability;
        public nint JitterCount;
        public nint CalibrationCount;
        public nint ErrorCount;
        public nint StabilityCount;
        public int Tai;
        private Padding _padding;
    }

    [System.Runtime.CompilerServices.InlineArray(11)]
    private struct Padding
    {
        private int _element;
    }
}

/// <summary>The kernel's clock discipline state (adjtimex).</summary>
internal sealed record KernelClockStatus(SntpLeap Leap, bool Synchronized, TimeSpan EstimatedError, TimeSpan MaximumError);
