using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Cli;

/// <summary>
/// 'dotnet pack' makes the .NET tool package, and 'dotnet tool install' from it gives a working 'ferry'. In CI, where
/// the launcher built the Native AOT binary first (FERRY_CLI), the linux-x64 package is packed too — the native compile
/// is then up to date, so it takes seconds — and the installed tool must be that native binary. Elsewhere the
/// framework-dependent package ('any') is packed instead, so a developer's run never waits minutes for an AOT compile.
/// </summary>
public class ToolPackageTests
{
    [Fact]
    public async Task PackedToolInstallsAndRuns()
    {
        var work = TempDirectory.Create("ferry-tool");
        try
        {
            var feed = Path.Combine(work, "feed");
            var project = RepoPaths.Of("src", "Ferry.Cli", "Ferry.Cli.csproj");
            bool native = CliBinary.FromEnvironment is not null && OperatingSystem.IsLinux()
                && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64;
            string[] ridArgs = native ? ["-r", "linux-x64"] : ["-r", "any", "-p:PublishAot=false"];
            // Without the native build the top-level package must point at 'any' alone: listing linux-x64 would send
            // the installer on this machine looking for a RID package this run did not pack.
            string[] topArgs = native ? [] : ["-p:ToolPackageRuntimeIdentifiers=any"];
            var budget = TimeSpan.FromMinutes(5);
            await Succeeds(ProcessRunner.RunAsync("dotnet", ["pack", project, "-c", "Release", .. topArgs, "-o", feed, "--nologo", "-v", "q"], budget));
            await Succeeds(ProcessRunner.RunAsync("dotnet", ["pack", project, "-c", "Release", .. topArgs, .. ridArgs, "-o", feed, "--nologo", "-v", "q"], budget));

            // Only the fresh feed, and a private package cache: an older package of the same version must not stand in.
            var config = Path.Combine(work, "nuget.config");
            File.WriteAllText(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration><packageSources><clear /><add key="fresh" value="{feed}" /></packageSources></configuration>
                """);
            var tools = Path.Combine(work, "tools");
            await Succeeds(ProcessRunner.RunAsync("dotnet", ["tool", "install", "Ferry.Cli", "--tool-path", tools, "--configfile", config],
                budget, environment: new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work, "packages") }));

            var ferry = Path.Combine(tools, "ferry");
            var version = await ProcessRunner.RunAsync(ferry, ["--version"], TimeSpan.FromSeconds(30));
            Assert.True(version.ExitCode == 0, version.StdErr);
            Assert.Matches(@"^\d+\.\d+\.\d+", version.StdOut);
            if (native)
            {
                var target = new FileInfo(ferry).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? ferry;
                Assert.Contains("linux-x64", target, StringComparison.Ordinal);
                Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(target)!, "Ferry.Cli.dll")), $"{target} is not the Native AOT build");
            }
        }
        finally
        {
            TempDirectory.TryDelete(work);
        }
    }

    private static async Task Succeeds(Task<(int ExitCode, string StdOut, string StdErr)> run)
    {
        var (code, stdout, stderr) = await run;
        Assert.True(code == 0, $"exit {code}:\n{stdout}\n{stderr}");
    }
}
