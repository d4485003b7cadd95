using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ferry.Cli.Infrastructure;
using Ferry.Networking;
using Spectre.Console;

namespace Ferry.Cli.Commands.Subnet;

/// <summary><c>ferry subnet</c>: an ipcalc — address AND mask = network, and whether other hosts share it.</summary>
internal static class SubnetCommand
{
    private static readonly SubnetJsonContext s_json = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static Command Create(CliContext cli)
    {
        var address = new Argument<string>("ADDRESS")
        {
            Description = "An IPv4 or IPv6 address with an optional prefix: 172.16.10.1/24, 2001:db8::1/64",
        };
        var others = new Argument<string[]>("OTHER_ADDRESS")
        {
            Description = "Addresses to compare: is each on the same subnet (same network after AND with the mask)?",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var mask = new Option<string>("--mask", "-m")
        {
            Description = "The mask, dotted (255.255.255.0) or as a prefix length (24), instead of /PREFIX",
        };
        var bits = new Option<bool>("--bits", "-b") { Description = "Show the AND in binary, with the network/host boundary marked" };
        var json = CommonOptions.Json();
        var command = new Command("subnet",
            "Work out an address's network, mask, broadcast and host range, and whether other addresses are on the same LAN.\n" +
            "Without /PREFIX or --mask, IPv4 assumes its classful mask and IPv6 /64 (and says so).\n" +
            "Examples: ferry subnet 172.16.10.1/24 172.16.10.2 172.16.11.2 --bits\n" +
            "          ferry subnet 10.1.2.3 --mask 255.255.240.0\n" +
            "          ferry subnet 2001:db8::1/64 --json")
        {
            address, others, mask, bits, json,
        };
        command.SetAction(result =>
        {
            var report = Calculate(result.GetValue(address)!, result.GetValue(mask), result.GetValue(others) ?? [], result.GetValue(bits));
            if (result.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(report.Json, s_json.SubnetReport));
            }
            else
            {
                SubnetRendering.Render(cli.Console, report, result.GetValue(bits), plain: !cli.StdOutIsTerminal);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    internal sealed record Comparison(IPAddress Address, IPAddress Network, bool SameSubnet);

    internal sealed record Calculation(Networking.Subnet Subnet, IReadOnlyList<Comparison> Others, SubnetReport Json);

    internal static Calculation Calculate(string addressText, string? maskText, IReadOnlyList<string> otherTexts, bool withBits)
    {
        if (!SubnetCalculator.TryParse(addressText, maskText, out var subnet, out var error)) throw new CliUsageException(error);
        var others = new List<Comparison>();
        foreach (var text in otherTexts)
        {
            if (text.Contains('/', StringComparison.Ordinal))
            {
                throw new CliUsageException($"'{text}': other addresses are compared using {subnet}'s mask; drop the /{text[(text.IndexOf('/') + 1)..]}");
            }
            if (!SubnetCalculator.TryParseAddress(text, out var other, out error)) throw new CliUsageException(error);
            if (other.AddressFamily != subnet.Family)
            {
                throw new CliUsageException($"'{text}' is {FamilyName(other)} but {subnet.Address} is {FamilyName(subnet.Address)}; compare addresses of one family");
            }
            others.Add(new Comparison(other, subnet.NetworkOf(other), subnet.Contains(other)));
        }
        return new Calculation(subnet, others, ToJson(subnet, others, withBits));
    }

    internal static string FamilyName(IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "IPv4" : "IPv6";

    private static SubnetReport ToJson(Networking.Subnet s, IReadOnlyList<Comparison> others, bool withBits)
    {
        var k = s.Kinds;
        return new SubnetReport
        {
            Family = FamilyName(s.Address),
            Address = s.Address.ToString(),
            Prefix = s.Prefix,
            PrefixAssumed = s.PrefixAssumed,
            Mask = s.Mask.ToString(),
            Wildcard = s.Wildcard.ToString(),
            Network = s.Network.ToString(),
            Cidr = s.ToString(),
            Broadcast = s.Broadcast?.ToString(),
            FirstHost = s.FirstUsable.ToString(),
            LastHost = s.LastUsable.ToString(),
            Addresses = s.Addresses.ToString(CultureInfo.InvariantCulture),
            UsableHosts = s.UsableHosts.ToString(CultureInfo.InvariantCulture),
            Class = s.Class?.ToString(),
            Flags = new SubnetFlags
            {
                Private = k.HasFlag(AddressKinds.Private),
                Loopback = k.HasFlag(AddressKinds.Loopback),
                LinkLocal = k.HasFlag(AddressKinds.LinkLocal),
                Multicast = k.HasFlag(AddressKinds.Multicast),
                Documentation = k.HasFlag(AddressKinds.Documentation),
                Shared = k.HasFlag(AddressKinds.Shared),
                Unspecified = k.HasFlag(AddressKinds.Unspecified),
            },
            Notes = [.. s.Notes],
            Bits = withBits ? BitsOf(s) : null,
            Others = [.. others.Select(o => new SubnetComparisonReport
            {
                Address = o.Address.ToString(),
                Network = o.Network.ToString(),
                SameSubnet = o.SameSubnet,
                Bits = withBits ? Joined(s.Binary(o.Address)) : null,
            })],
        };
    }

    private static SubnetBitsReport BitsOf(Networking.Subnet s) => new()
    {
        Address = Joined(s.Binary(s.Address)),
        Mask = Joined(s.Binary(s.Mask)),
        Network = Joined(s.Binary(s.Network)),
    };

    internal static string Joined((string NetworkBits, string HostBits) bits) => $"{bits.NetworkBits}|{bits.HostBits}";
}
