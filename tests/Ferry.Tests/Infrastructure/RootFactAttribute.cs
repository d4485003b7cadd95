namespace Ferry.Tests.Infrastructure;

/// <summary>
/// A fact that needs root (to mount a small or read-only tmpfs, say). CI runs as root, so there it always runs;
/// a developer running the suite as an ordinary user sees it skipped with the reason, instead of a false failure.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Skip = "needs root on Linux (it mounts a throwaway tmpfs); CI runs it";
        }
    }
}
