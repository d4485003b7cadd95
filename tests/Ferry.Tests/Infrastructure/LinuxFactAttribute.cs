namespace Ferry.Tests.Infrastructure;

/// <summary>A fact about Linux-only behaviour (system calls the test makes itself); skipped elsewhere with the reason.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "Linux only: the test drives Linux system calls itself";
    }
}

/// <summary>A theory about Linux-only behaviour; skipped elsewhere with the reason.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "Linux only: the test drives Linux system calls itself";
    }
}
