using Ferry.Services.Exec;

namespace Ferry.Tests.Services.Exec;

/// <summary>Finding this process's pids cgroup folder from /proc/self/mountinfo and /proc/self/cgroup (pure).</summary>
public sealed class PidsCgroupLocationTests
{
    // A hybrid machine (this one): pids on cgroup v1, an empty unified v2 beside it.
    private const string Hybrid = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    [Fact]
    public void HybridGivesBothHierarchiesWithTheUnifiedOneFirst()
    {
        var found = PidsCgroupLocation.Find(Hybrid, "8:pids:/\n4:memory:/process_api/979e\n0::/\n");
        Assert.Equal([new("/sys/fs/cgroup/unified", 2), new("/sys/fs/cgroup/pids", 1)], found);
    }

    [Fact]
    public void ANestedV1PathIsJoinedToTheMountPoint()
    {
        var found = PidsCgroupLocation.Find(Hybrid, "8:pids:/ferry-exec-12-1/3\n");
        Assert.Equal([new("/sys/fs/cgroup/pids/ferry-exec-12-1/3", 1)], found);
    }

    [Fact]
    public void PureV2UsesTheProcessesOwnCgroup()
    {
        var found = PidsCgroupLocation.Find("30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
            "0::/system.slice/ferry.service\n");
        Assert.Equal([new("/sys/fs/cgroup/system.slice/ferry.service", 2)], found);
    }

    [Fact]
    public void AContainerSeesItsSubtreeMountedAsRoot()
    {
        // The mount's root is the container's cgroup; the process's path is below it.
        var found = PidsCgroupLocation.Find("700 690 0:36 /docker/abc /sys/fs/cgroup/pids ro,nosuid - cgroup cgroup rw,pids\n",
            "5:pids:/docker/abc/app\n");
        Assert.Equal([new("/sys/fs/cgroup/pids/app", 1)], found);
    }

    [Fact]
    public void AMountThatDoesNotShowTheProcessesCgroupIsSkipped()
    {
        var found = PidsCgroupLocation.Find("700 690 0:36 /docker/other /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n", "5:pids:/docker/abc\n");
        Assert.Empty(found);
    }

    [Fact]
    public void EscapedSpacesInTheMountPointAreDecoded()
    {
        var found = PidsCgroupLocation.Find(@"39 31 0:36 / /mnt/my\040cgroups rw - cgroup cgroup rw,nosuid,pids" + "\n", "3:pids:/\n");
        Assert.Equal([new("/mnt/my cgroups", 1)], found);
    }

    [Fact]
    public void NoPidsControllerAnywhereFindsNothing()
    {
        Assert.Empty(PidsCgroupLocation.Find("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "4:memory:/\n"));
        Assert.Empty(PidsCgroupLocation.Find("", ""));
    }
}
