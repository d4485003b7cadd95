using System.Diagnostics;
using System.Text.RegularExpressions;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Processes;

/// <summary>
/// ferry as a user starts it: either the repository's <c>./ferry</c> launcher script (which runs the CLI that
/// <c>artifacts/cli</c> holds) or the built binary itself (<see cref="CliBinary"/>). Each run gets a private
/// FERRY_HOME. The launcher is run with FERRY_NO_BUILD=1, so a source edited since the last build never starts a
/// two-minute build inside a test.
/// </summary>
public sealed class UserCli
{
    public const string LauncherName = "launcher";
    public const string BinaryName = "binary";

    private UserCli(string name, string executable, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        Executable = executable;
        Environment = environment;
    }

    public string Name { get; }

    /// <summary>What is started: the launcher script or the binary.</summary>
    public string Executable { get; }

    /// <summary>Variables every run gets on top of the test's own environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The launcher script at the repository root.</summary>
    public static string LauncherScript => RepoPaths.Of("ferry");

    /// <summary>The CLI the launcher runs once built.</summary>
    public static string LauncherBuild => RepoPaths.Of("artifacts", "cli", "Ferry.Cli");

    /// <summary>
    /// Why launcher runs cannot happen here, or null when they can: artifacts/cli must hold a CLI built from these
    /// sources (CI builds it first). A stale one would fail these tests for old bugs already fixed in the source.
    /// </summary>
    public static string? LauncherMissing { get; } = FindWhyLauncherCannotRun();

    private static string? FindWhyLauncherCannotRun()
    {
        const string Fix = "run './ferry --version' once to build it (CI does)";
        if (!File.Exists(LauncherBuild)) return $"{LauncherBuild} is not built, and a build inside a test would eat its time; {Fix}";
        var stamp = RepoPaths.Of("artifacts", ".cli-build-stamp");
        if (!File.Exists(stamp)) return $"{LauncherBuild} has no build stamp; {Fix}";
        var built = File.GetLastWriteTimeUtc(stamp);
        // The launcher's own test of staleness: a source, project or props file newer than the stamp (bin/obj aside).
        var sources = new DirectoryInfo(RepoPaths.Of("src")).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => f.Extension is ".cs" or ".csproj" or ".props")
            .Where(f => !f.FullName.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Append(new FileInfo(RepoPaths.Of("Directory.Build.props")))
            .Append(new FileInfo(RepoPaths.Of("Directory.Packages.props")));
        var newer = sources.FirstOrDefault(f => f.Exists && f.LastWriteTimeUtc > built);
        return newer is null ? null : $"{LauncherBuild} is older than {Path.GetRelativePath(RepoPaths.Root, newer.FullName)}; {Fix}";
    }

    public static UserCli Of(string name) => name switch
    {
        LauncherName => new UserCli(name, LauncherScript, new Dictionary<string, string> { ["FERRY_NO_BUILD"] = "1" }),
        BinaryName => new UserCli(name, CliBinary.Executable, new Dictionary<string, string>()),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "launcher or binary"),
    };

    /// <summary>The ways to run ferry that this machine has: the binary always, the launcher once artifacts/cli is built.</summary>
    public static TheoryData<string> Available() => [.. Names()];

    /// <summary>Every command line (words split at spaces) with every available runner.</summary>
    public static TheoryData<string, string> WithEachRunner(params string[] commandLines)
    {
        var data = new TheoryData<string, string>();
        foreach (var runner in Names()) foreach (var line in commandLines) data.Add(runner, line);
        return data;
    }

    public static IEnumerable<string> Names() => LauncherMissing is null ? [BinaryName, LauncherName] : [BinaryName];

    /// <summary>Runs ferry with pipes for stdin (empty unless given), stdout and stderr.</summary>
    public Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(IEnumerable<string> args, string home,
        TimeSpan? timeout = null, string? stdin = "", IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync(Executable, args, timeout ?? TimeSpan.FromSeconds(60), stdin, EnvironmentFor(home, environment));

    /// <summary>Starts ferry with pipes and leaves it running (for signals); the caller disposes it.</summary>
    public System.Diagnostics.Process Start(IEnumerable<string> args, string home)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (name, value) in EnvironmentFor(home, null)) info.Environment[name] = value;
        return System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException($"cannot start {Executable}");
    }

    /// <summary>A shell command line running ferry with its environment (for tmux and bash pipelines).</summary>
    public string ShellCommand(IEnumerable<string> args, string home) =>
        string.Join(' ', new[] { "env" }
            .Concat(EnvironmentFor(home, null).Select(e => ShellQuote($"{e.Key}={e.Value}")))
            .Append(ShellQuote(Executable))
            .Concat(args.Select(ShellQuote)));

    public static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public override string ToString() => Name;

    private Dictionary<string, string> EnvironmentFor(string home, IReadOnlyDictionary<string, string>? extra)
    {
        var all = new Dictionary<string, string>(Environment, StringComparer.Ordinal) { ["FERRY_HOME"] = home };
        if (extra is not null) foreach (var (name, value) in extra) all[name] = value;
        return all;
    }
}

/// <summary>
/// The table of exit codes that <c>ferry --help</c> prints — the contract these tests hold the CLI to. Read from the
/// help text itself, so a code changed in the program but not in its help (or the other way round) fails here.
/// </summary>
public sealed class ExitCodeTable
{
    private readonly Dictionary<int, string> _meanings;

    private ExitCodeTable(Dictionary<int, string> meanings) => _meanings = meanings;

    public IReadOnlyDictionary<int, string> Meanings => _meanings;

    /// <summary>Parses "Exit codes: 0 ok, 1 error, 2 bad usage, ..." (to the end of that paragraph).</summary>
    public static ExitCodeTable Parse(string help)
    {
        int start = help.IndexOf("Exit codes", StringComparison.OrdinalIgnoreCase);
        if (start < 0) throw new Xunit.Sdk.XunitException($"'ferry --help' has no table of exit codes:\n{help}");
        var section = help[start..];
        int end = section.IndexOf("\n\n", StringComparison.Ordinal);
        if (end > 0) section = section[..end];
        var meanings = new Dictionary<int, string>();
        foreach (Match m in Regex.Matches(section, @"(?<![\w'])(\d{1,3})\s*[:=-]?\s+([A-Za-z][^,;\n]*?)(?=\s*(?:[,;\n]|\.(?:\s|$)|$))"))
        {
            meanings.TryAdd(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value.Trim());
        }
        return new ExitCodeTable(meanings);
    }

    /// <summary>The code whose meaning contains <paramref name="words"/>; fails the test when the table has none.</summary>
    public int CodeFor(string words)
    {
        foreach (var (code, meaning) in _meanings)
        {
            if (meaning.Contains(words, StringComparison.OrdinalIgnoreCase)) return code;
        }
        throw new Xunit.Sdk.XunitException($"the exit-code table in 'ferry --help' has no code for '{words}': " +
            string.Join(", ", _meanings.Select(m => $"{m.Key} {m.Value}")));
    }
}
