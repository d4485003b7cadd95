using Ferry.Datagrams;

namespace Ferry.Client;

/// <summary>A planned correction of the local clock: slewed (sped up or slowed down gradually) or stepped at once.</summary>
public sealed record ClockAdjustment(NtpDuration Offset, bool Slew)
{
    /// <summary>The plan in words, as <c>ferry time --sync</c> prints it.</summary>
    public string Describe() => Slew
        ? $"slew the clock by {Offset.ToHuman()} (gradually, at most 0.5 ms per second: about {Math.Ceiling(Math.Abs(Offset.TotalSeconds) / 0.0005):0} s)"
        : $"step the clock by {Offset.ToHuman()} at once";
}

/// <summary>
/// Sets this machine's clock by a measured offset (<c>ferry time --sync</c>): Linux adjtimex — a single-shot slew
/// under the threshold, an atomic step (ADJ_SETOFFSET) above it — and SetSystemTime on Windows. It checks the
/// privilege first and changes nothing without it.
/// </summary>
public static class SystemClockAdjuster
{
    /// <summary>Steps above this; NTP daemons use 128 ms, since slewing more would take minutes.</summary>
    public static readonly TimeSpan DefaultSlewThreshold = TimeSpan.FromMilliseconds(128);

    /// <summary>Slews an offset below <paramref name="slewThreshold"/> (on Linux) and steps a larger one.</summary>
    public static ClockAdjustment Plan(NtpDuration offset, TimeSpan slewThreshold) =>
        new(offset, OperatingSystem.IsLinux() && Math.Abs(offset.TotalSeconds) < slewThreshold.TotalSeconds);

    /// <summary>What this process lacks to set the clock, as a sentence that says how to get it; null if nothing.</summary>
    public static string? MissingPrivilege()
    {
        if (OperatingSystem.IsLinux())
        {
            return KernelClock.HasTimeCapability()
                ? null
                : "setting the clock needs the CAP_SYS_TIME capability, which this process lacks: run it as root (sudo ferry time ... --sync) " +
                  "or grant it to the binary (sudo setcap cap_sys_time+ep PATH-TO-ferry)";
        }
        if (OperatingSystem.IsWindows()) return WindowsClock.HasPrivilege() ? null : "setting the clock needs SeSystemtimePrivilege: run from an Administrator prompt";
        return $"setting the clock is supported on Linux and Windows, not on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }

    /// <summary>Carries out the adjustment; throws <see cref="UnauthorizedAccessException"/> when the OS refuses.</summary>
    public static void Apply(ClockAdjustment adjustment)
    {
        if (MissingPrivilege() is { } missing) throw new UnauthorizedAccessException(missing);
        if (OperatingSystem.IsLinux())
        {
            if (adjustment.Slew) KernelClock.Slew(adjustment.Offset);
            else KernelClock.Step(adjustment.Offset);
            return;
        }
        if (OperatingSystem.IsWindows())
        {
            WindowsClock.Step(adjustment.Offset);
            return;
        }
        throw new PlatformNotSupportedException("setting the clock is supported on Linux and Windows only");
    }
}
