using System.Text.Json;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Cli;

public class SubnetCommandTests
{
    [Fact]
    public async Task TableShowsTheSubnetAndComparesOtherHosts()
    {
        var result = await CliHarness.RunAsync(["subnet", "172.16.10.1/24", "172.16.10.2", "172.16.11.2"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("172.16.10.255", result.StdOut);
        Assert.Contains("255.255.255.0 = /24", result.StdOut);
        Assert.Contains("172.16.11.0", result.StdOut);
        Assert.Matches(@"172\.16\.10\.2\s+172\.16\.10\.0\s+yes", result.StdOut); // plain columns: the harness is a pipe
        Assert.Matches(@"172\.16\.11\.2\s+172\.16\.11\.0\s+no", result.StdOut);
    }

    [Fact]
    public async Task BitsShowTheAndWithTheBoundary()
    {
        var result = await CliHarness.RunAsync(["subnet", "172.16.10.1", "--mask", "255.255.255.0", "--bits", "172.16.11.2"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("10101100.00010000.00001010|00000001", result.StdOut);
        Assert.Contains("AND 255.255.255.0", result.StdOut);
        Assert.Contains("11111111.11111111.11111111|00000000", result.StdOut);
        Assert.Contains("10101100.00010000.00001011|00000000", result.StdOut);
        Assert.Contains("another subnet", result.StdOut);
    }

    [Fact]
    public async Task IPv6BitsComeInTwoHalvesWithTheBoundary()
    {
        var result = await CliHarness.RunAsync(["subnet", "2001:db8::1/64", "--bits"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("0010000000000001:0000110110111000:0000000000000000:0000000000000000\n", result.StdOut.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("|0000000000000000:0000000000000000:0000000000000000:0000000000000001", result.StdOut, StringComparison.Ordinal);
        // The bits fit a terminal line; table rows in a pipe are never wrapped (plain columns, one row a line).
        Assert.All(result.StdOut.Split('\n').Where(line => line.Contains("0000", StringComparison.Ordinal)), line => Assert.True(line.Length <= 80, line));
    }

    [Fact]
    public async Task JsonIsForScripts()
    {
        var result = await CliHarness.RunAsync(["subnet", "2001:db8::1/64", "2001:db8::ffff", "2001:db8:1::1", "--json", "--bits"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        var root = doc.RootElement;
        Assert.Equal("IPv6", root.GetProperty("family").GetString());
        Assert.Equal("2001:db8::/64", root.GetProperty("cidr").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("broadcast").ValueKind);
        Assert.Equal("18446744073709551615", root.GetProperty("usableHosts").GetString());
        Assert.True(root.GetProperty("flags").GetProperty("documentation").GetBoolean());
        var others = root.GetProperty("others");
        Assert.True(others[0].GetProperty("sameSubnet").GetBoolean());
        Assert.False(others[1].GetProperty("sameSubnet").GetBoolean());
        Assert.Equal("2001:db8:1::", others[1].GetProperty("network").GetString());
        Assert.Contains("|", root.GetProperty("bits").GetProperty("address").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PointToPointPrefixesAreShownRight()
    {
        var result = await CliHarness.RunAsync(["subnet", "10.0.0.1/31", "--json"]);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.Equal("10.0.0.0", doc.RootElement.GetProperty("firstHost").GetString());
        Assert.Equal("10.0.0.1", doc.RootElement.GetProperty("lastHost").GetString());
        Assert.Equal("2", doc.RootElement.GetProperty("usableHosts").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("broadcast").ValueKind);
    }

    [Theory]
    [InlineData("300.1.1.1")]
    [InlineData("1.2.3.4/33")]
    [InlineData("2001:db8::1/129")]
    [InlineData("garbage")]
    [InlineData("10.0.0.1", "--mask", "255.0.255.0")]
    [InlineData("10.0.0.1/24", "::1")]
    [InlineData("10.0.0.1/24", "10.0.0.2/16")]
    [InlineData("10.0.0.1/24", "10.0.0.999")]
    public async Task BadInputIsOneLineAndExitCode2(params string[] args)
    {
        var result = await CliHarness.RunAsync(["subnet", .. args]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("ferry: ", result.StdErr);
        Assert.Single(result.StdErr.TrimEnd('\n').Split('\n'));
        Assert.Equal("", result.StdOut);
    }
}
