namespace Ferry.Tests.Infrastructure;

/// <summary>
/// The ferry program as a separate process. CI builds the Native AOT binary with the launcher first and names it in
/// <c>FERRY_CLI</c>, so process-level tests run what users run; without it (a developer's quick loop), the apphost
/// the test build puts beside the test binaries.
/// </summary>
public static class CliBinary
{
    public static string? FromEnvironment { get; } = Environment.GetEnvironmentVariable("FERRY_CLI") is { Length: > 0 } path
        ? Path.GetFullPath(path)
        : null;

    public static string Executable { get; } = FromEnvironment ?? Path.Combine(AppContext.BaseDirectory, "Ferry.Cli");

    /// <summary>Runs it with a private FERRY_HOME so no test touches the user's ~/.ferry.</summary>
    public static Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(IEnumerable<string> args, string home,
        TimeSpan? timeout = null, string? stdin = null) =>
        ProcessRunner.RunAsync(Executable, args, timeout, stdin, new Dictionary<string, string> { ["FERRY_HOME"] = home });
}
