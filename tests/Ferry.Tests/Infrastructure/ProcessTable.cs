using System.Globalization;
using System.Text;

namespace Ferry.Tests.Infrastructure;

/// <summary>Looks at the live process table (/proc): for checking that no process or zombie was left behind.</summary>
public static class ProcessTable
{
    /// <summary>A unique, harmless sleep duration to tag a test's processes, e.g. <c>1000.123456</c>.</summary>
    public static string Marker() => "1000." + Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);

    /// <summary>Processes (zombies included) whose command line contains <paramref name="marker"/>.</summary>
    public static List<string> Matching(string marker)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!char.IsAsciiDigit(name[0])) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(marker, StringComparison.Ordinal)) found.Add($"{name}: {cmdline}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone while we looked.
            }
        }
        return found;
    }

    /// <summary>How many <c>sleep</c> processes carry <paramref name="marker"/> (the shell running them carries it too).</summary>
    public static int Sleeps(string marker) => Matching(marker).Count(p => p.Split(": ", 2)[1].StartsWith("sleep ", StringComparison.Ordinal));

    /// <summary>Zombie children of this (test) process whose command name is <paramref name="comm"/>.</summary>
    public static List<string> OurZombies(string comm)
    {
        var found = new List<string>();
        int self = Environment.ProcessId;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!char.IsAsciiDigit(name[0])) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                if (fields[0] == "Z" && fields[1] == self.ToString(CultureInfo.InvariantCulture) && stat[(open + 1)..close] == comm)
                {
                    found.Add(name);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; returns whether it did.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (true)
        {
            if (condition()) return true;
            if (DateTime.UtcNow > until) return false;
            await Task.Delay(25);
        }
    }

    public static string Describe(IEnumerable<string> processes)
    {
        var text = new StringBuilder();
        foreach (var p in processes) text.AppendLine(p);
        return text.ToString();
    }
}
