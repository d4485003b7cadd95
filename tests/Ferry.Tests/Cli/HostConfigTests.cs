using Ferry.Cli.Infrastructure;

namespace Ferry.Tests.Cli;

/// <summary>The host alias file (~/.ferry/config): parsing, matching like ssh_config, and one-line errors.</summary>
public sealed class HostConfigTests
{
    private const string File = "/home/ann/.ferry/config";

    private static HostConfig Parse(string text) => HostConfig.Parse(text, File);

    [Fact]
    public void AHostBlockGivesItsSettings()
    {
        var config = Parse("""
            # machines
            Host work
              HostName 10.0.0.5
              Port 7000
              User alice
              KeyFile /keys/work.key
              Plaintext yes
              AcceptNew yes
            """);
        var work = config.Resolve("work");
        Assert.Equal(("10.0.0.5", 7000, "alice", "/keys/work.key", true, true), (work.HostName, work.Port, work.User, work.KeyFile, work.Plaintext, work.AcceptNew));
        Assert.Equal([2], work.MatchedLines);
        Assert.Equal(3, work.SettingLines["HostName"]);
        Assert.False(config.Resolve("home").Matched);
    }

    [Fact]
    public void TheFirstValueFoundWinsSoSpecificHostsGoBeforeTheWildcard()
    {
        var config = Parse("""
            Host work
              Port 7000
            Host *
              Port 7777
              AcceptNew yes
            Host work
              User bob
            """);
        var work = config.Resolve("work");
        Assert.Equal((7000, true, "bob"), (work.Port, work.AcceptNew, work.User));
        Assert.Equal(7777, config.Resolve("elsewhere").Port);
    }

    [Fact]
    public void SettingsAboveTheFirstHostApplyToEveryHost()
    {
        var config = Parse("AcceptNew yes\nHost work\n  Port 7000\n");
        Assert.True(config.Resolve("anything").AcceptNew);
        Assert.Equal((7000, true), (config.Resolve("work").Port, config.Resolve("work").AcceptNew));
    }

    [Theory]
    [InlineData("web-*", "web-1", true)]
    [InlineData("web-*", "db-1", false)]
    [InlineData("db?", "db1", true)]
    [InlineData("db?", "db12", false)]
    [InlineData("WORK", "work", true)]
    [InlineData("*.example.org", "a.b.example.org", true)]
    public void PatternsMatchLikeSsh(string pattern, string host, bool matches) => Assert.Equal(matches, HostConfig.Glob(pattern, host));

    [Fact]
    public void SeveralNamesAndANegatedPatternOnOneHostLine()
    {
        var config = Parse("Host w work\n  Port 7000\nHost *.lan !printer.lan\n  Plaintext yes\n");
        Assert.Equal(7000, config.Resolve("w").Port);
        Assert.Equal(7000, config.Resolve("work").Port);
        Assert.True(config.Resolve("nas.lan").Plaintext);
        Assert.Null(config.Resolve("printer.lan").Plaintext);
        Assert.Equal(["w", "work"], config.Aliases);
    }

    [Fact]
    public void EqualsSignsQuotesCommentsAndCaseAreAccepted()
    {
        var config = Parse("host work\n  PORT=7000\n  keyfile = \"/my keys/work.key\"   # spaces in a path\n\tuser\tann\r\n");
        var work = config.Resolve("work");
        Assert.Equal((7000, "/my keys/work.key", "ann"), (work.Port, work.KeyFile, work.User));
    }

    [Fact]
    public void KeyFilePathsExpandTheHomeFolderAndAreRelativeToTheFile()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var config = Parse("Host a\n  KeyFile ~/.ferry/a.key\nHost b\n  KeyFile b.key\n");
        Assert.Equal(Path.Combine(home, ".ferry/a.key"), config.Resolve("a").KeyFile);
        Assert.Equal("/home/ann/.ferry/b.key", config.Resolve("b").KeyFile);
    }

    [Theory]
    [InlineData("Host work\n  Hostname2 x\n", ":2: unknown setting 'Hostname2' (expected Host, HostName, Port, User, KeyFile, Plaintext, AcceptNew)")]
    [InlineData("Host work\n\n  Port seventy\n", ":3: 'Port' must be a number from 1 to 65535, not 'seventy'")]
    [InlineData("Host work\n  Port 70000\n", ":2: 'Port' must be a number from 1 to 65535, not '70000'")]
    [InlineData("Host work\n  Plaintext maybe\n", ":2: 'Plaintext' must be yes or no, not 'maybe'")]
    [InlineData("Host\n", ":1: 'Host' needs at least one name or pattern, such as 'Host work' or 'Host *'")]
    [InlineData("Host work\n  User\n", ":2: 'User' needs a value")]
    [InlineData("Host work\n  KeyFile /a b\n", ":2: 'KeyFile' takes one value, not 2 (put quotes around a value with spaces)")]
    [InlineData("Host work\n  KeyFile \"/a b\n", ":2: a quote is not closed")]
    [InlineData("= 5\n", ":1: the line starts with '=' but names no setting")]
    public void AMistakeIsOneLineNamingTheFileAndLine(string text, string expected)
    {
        var error = Assert.Throws<HostConfigException>(() => Parse(text));
        Assert.Equal(HostConfig.Shown(File) + expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void AnEmptyFileOrOnlyCommentsHasNoHosts()
    {
        Assert.Empty(Parse("").Aliases);
        Assert.Empty(Parse("# nothing here\n   \n").Aliases);
        Assert.False(Parse("").Resolve("work").Matched);
    }
}

/// <summary>From a TARGET typed on the command line to where to connect, through the aliases.</summary>
public sealed class TargetResolverTests
{
    private static readonly HostConfig Config = HostConfig.Parse("""
        Host work
          HostName 10.0.0.5
          Port 7000
        Host sock
          HostName unix:/run/ferry.sock
        Host lab
          HostName [fd00::7]:7100
        """, "/tmp/config");

    [Theory]
    [InlineData("work", "10.0.0.5:7000")]
    [InlineData("work:7001", "10.0.0.5:7001")] // a typed port wins over the file's
    [InlineData("lab", "[fd00::7]:7100")]     // a port in HostName applies when neither the target nor Port gives one
    [InlineData("other", "other:7070")]
    [InlineData("10.1.1.1:9", "10.1.1.1:9")]
    [InlineData("sock", "unix:/run/ferry.sock")]
    public void AliasesAreResolved(string typed, string expected) =>
        Assert.Equal(expected, TargetResolver.Resolve(typed, Config).Target.ToString());

    [Fact]
    public void SntpTakesTheHostNameButNotFerrysPort()
    {
        var (target, _) = TargetResolver.Resolve("work", Config, defaultPort: 123, usePort: false);
        Assert.Equal("10.0.0.5:123", target.ToString());
    }

    [Fact]
    public void ABadHostNameNamesTheLineInTheFile()
    {
        var error = Assert.Throws<CliUsageException>(() => TargetResolver.Resolve("x", HostConfig.Parse("Host x\n  HostName [::1\n", "/tmp/config")));
        Assert.StartsWith("/tmp/config:2: HostName: ", error.Message, StringComparison.Ordinal);
    }
}
