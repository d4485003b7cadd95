namespace Ferry.Services.Exec;

/// <summary>
/// Where this process's pids cgroup is on disk, worked out from <c>/proc/self/mountinfo</c> and <c>/proc/self/cgroup</c>
/// (pure: the texts are passed in). cgroup v2 (the unified hierarchy, <c>0::/path</c>) is preferred when it has the
/// pids controller; otherwise a cgroup v1 hierarchy mounted with the <c>pids</c> option.
/// </summary>
internal static class PidsCgroupLocation
{
    /// <summary>One candidate folder: the cgroup this process is in, in a hierarchy that may carry pids.</summary>
    public readonly record struct Candidate(string Directory, int Version);

    /// <summary>
    /// The folders of this process's own cgroup in each hierarchy that may hold the pids controller, v2 first. A v2
    /// candidate still has to be checked for the controller (<c>cgroup.controllers</c>): a v2 mount exists on most
    /// machines even when pids is bound to v1.
    /// </summary>
    public static IReadOnlyList<Candidate> Find(string mountInfo, string selfCgroup)
    {
        string? v2Path = null, v1Path = null;
        foreach (var raw in selfCgroup.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            int first = line.IndexOf(':', StringComparison.Ordinal);
            int second = first < 0 ? -1 : line.IndexOf(':', first + 1);
            if (second < 0) continue;
            var controllers = line[(first + 1)..second];
            var path = line[(second + 1)..];
            if (line[..first] == "0" && controllers.Length == 0) v2Path = path;
            else if (controllers.Split(',').Contains("pids", StringComparer.Ordinal)) v1Path = path;
        }
        var found = new List<Candidate>();
        foreach (var raw in mountInfo.Split('\n'))
        {
            // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
            var fields = raw.TrimEnd('\r').Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (dash < 5 || dash + 3 >= fields.Length) continue;
            var root = Unescape(fields[3]);
            var mountPoint = Unescape(fields[4]);
            var type = fields[dash + 1];
            var superOptions = fields[dash + 3].Split(',');
            if (type == "cgroup2" && v2Path is not null && Below(v2Path, root) is { } v2)
            {
                if (!found.Exists(c => c.Version == 2)) found.Insert(0, new Candidate(Join(mountPoint, v2), 2));
            }
            else if (type == "cgroup" && superOptions.Contains("pids", StringComparer.Ordinal) && v1Path is not null && Below(v1Path, root) is { } v1)
            {
                if (!found.Exists(c => c.Version == 1)) found.Add(new Candidate(Join(mountPoint, v1), 1));
            }
        }
        return found;
    }

    // The cgroup path relative to the mount's root, or null when the mount does not show it (a container sees its
    // own subtree mounted as "/").
    private static string? Below(string path, string root)
    {
        if (root == "/") return path;
        if (path == root) return "/";
        return path.StartsWith(root + "/", StringComparison.Ordinal) ? path[root.Length..] : null;
    }

    private static string Join(string mountPoint, string relative) =>
        relative is "/" or "" ? mountPoint : mountPoint.TrimEnd('/') + "/" + relative.TrimStart('/');

    // mountinfo writes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal)) return field;
        var text = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                text.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }
        return text.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
