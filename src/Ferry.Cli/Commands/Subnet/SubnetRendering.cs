using System.Globalization;
using Ferry.Cli.Infrastructure;
using Ferry.Networking;
using Spectre.Console;

namespace Ferry.Cli.Commands.Subnet;

/// <summary>Draws a subnet calculation as tables (and the binary AND, with --bits).</summary>
internal static class SubnetRendering
{
    public static void Render(IAnsiConsole console, SubnetCommand.Calculation calculation, bool bits, bool plain)
    {
        var s = calculation.Subnet;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("subnet").AddColumn(Markup.Escape(s.ToString()));
        table.AddRow("address", Markup.Escape(s.Address.ToString()));
        table.AddRow("mask", $"{Markup.Escape(s.Mask.ToString())} = /{s.Prefix}{(s.PrefixAssumed ? " [yellow](assumed)[/]" : "")}");
        table.AddRow("wildcard", Markup.Escape(s.Wildcard.ToString()));
        table.AddRow("network", $"[green]{Markup.Escape(s.Network.ToString())}[/]");
        table.AddRow("broadcast", s.Broadcast is { } b ? Markup.Escape(b.ToString()) : s.IsIPv4 ? "[grey]none[/]" : "[grey]none (IPv6 has no broadcast)[/]");
        table.AddRow("first host", Markup.Escape(s.FirstUsable.ToString()));
        table.AddRow("last host", Markup.Escape(s.LastUsable.ToString()));
        table.AddRow("usable hosts", $"{Count(s.UsableHosts)} [grey](of {Count(s.Addresses)} addresses)[/]");
        if (s.Class is { } c) table.AddRow("class", $"{c} [grey]({ClassMeaning(c)})[/]");
        table.AddRow("kind", Kinds(s.Kinds, s.IsIPv4));
        console.WriteTable(table, plain);
        foreach (var note in s.Notes) console.MarkupLine($"[grey]note: {Markup.Escape(note)}[/]");
        if (bits) RenderBits(console, calculation);
        if (calculation.Others.Count > 0) RenderOthers(console, calculation, plain);
    }

    private static void RenderBits(IAnsiConsole console, SubnetCommand.Calculation calculation)
    {
        var s = calculation.Subnet;
        console.WriteLine();
        console.MarkupLine($"[bold]address AND mask = network[/] [grey](the first {s.Prefix} bits are the network, marked [green]green[/] before the |; the rest is the host)[/]");
        int width = new[] { s.Address, s.Mask, s.Network }.Concat(calculation.Others.SelectMany(o => new[] { o.Address, o.Network }))
            .Max(a => a.ToString().Length) + 2;
        void Line(string op, System.Net.IPAddress value)
        {
            var (network, host) = s.Binary(value);
            if (s.IsIPv4)
            {
                console.MarkupLine($"{op} {Markup.Escape(value.ToString().PadRight(width))}[green]{network}[/]|[grey]{host}[/]");
                return;
            }
            // 128 bits do not fit a terminal line: the label, then the bits in two halves of 64.
            console.MarkupLine($"{op} {Markup.Escape(value.ToString())}");
            var (first, second) = Halves(network + "|" + host);
            console.MarkupLine("      " + Colour(first, inNetwork: true));
            console.MarkupLine("      " + Colour(second, inNetwork: !first.Contains('|', StringComparison.Ordinal)));
        }
        Line("   ", s.Address);
        Line("AND", s.Mask);
        Line("  =", s.Network);
        foreach (var other in calculation.Others)
        {
            console.WriteLine();
            Line("   ", other.Address);
            Line("AND", s.Mask);
            Line("  =", other.Network);
            console.MarkupLine(other.SameSubnet
                ? $"    [green]same network bits as {Markup.Escape(s.Address.ToString())}: same subnet[/]"
                : $"    [red]network bits differ from {Markup.Escape(s.Address.ToString())}: another subnet[/]");
        }
    }

    private static (string First, string Second) Halves(string bits)
    {
        int seen = 0;
        for (int i = 0; i < bits.Length; i++)
        {
            if (bits[i] is '0' or '1' && ++seen == 64) return (bits[..(i + 1)], bits[(i + 1)..].TrimStart(':'));
        }
        return (bits, "");
    }

    /// <summary>Network bits green, host bits grey, the boundary as a plain '|'.</summary>
    private static string Colour(string bits, bool inNetwork)
    {
        int bar = bits.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0) return inNetwork ? $"[green]{bits}[/]" : $"[grey]{bits}[/]";
        return $"[green]{bits[..bar]}[/]|[grey]{bits[(bar + 1)..]}[/]";
    }

    private static void RenderOthers(IAnsiConsole console, SubnetCommand.Calculation calculation, bool plain)
    {
        var s = calculation.Subnet;
        console.WriteLine();
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("address").AddColumn($"its network (/{s.Prefix})").AddColumn($"on {Markup.Escape(s.ToString())}?").AddColumn("meaning");
        foreach (var o in calculation.Others)
        {
            table.AddRow(
                Markup.Escape(o.Address.ToString()),
                Markup.Escape(o.Network.ToString()),
                o.SameSubnet ? "[green]yes[/]" : "[red]no[/]",
                o.SameSubnet ? "same LAN: sent directly" : "other network: via a router");
        }
        console.WriteTable(table, plain);
    }

    private static string Count(System.Numerics.BigInteger n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string ClassMeaning(char c) => c switch
    {
        'A' => "0-127, classful /8",
        'B' => "128-191, classful /16",
        'C' => "192-223, classful /24",
        'D' => "224-239, multicast",
        _ => "240-255, reserved",
    };

    private static string Kinds(AddressKinds kinds, bool v4)
    {
        if (kinds == AddressKinds.None) return "global (public)";
        var names = new List<string>();
        if (kinds.HasFlag(AddressKinds.Private)) names.Add(v4 ? "[yellow]private[/] (RFC 1918)" : "[yellow]private[/] (unique local, RFC 4193)");
        if (kinds.HasFlag(AddressKinds.Loopback)) names.Add("[yellow]loopback[/] (this machine only)");
        if (kinds.HasFlag(AddressKinds.LinkLocal)) names.Add(v4 ? "[yellow]link-local[/] (never routed, RFC 3927)" : "[yellow]link-local[/] (never routed, RFC 4291)");
        if (kinds.HasFlag(AddressKinds.Multicast)) names.Add("[yellow]multicast[/] (a group, not a host)");
        if (kinds.HasFlag(AddressKinds.Documentation)) names.Add(v4 ? "[yellow]documentation[/] (examples only, RFC 5737)" : "[yellow]documentation[/] (examples only, RFC 3849 / 9637)");
        if (kinds.HasFlag(AddressKinds.Shared)) names.Add("[yellow]shared[/] (carrier-grade NAT, RFC 6598)");
        if (kinds.HasFlag(AddressKinds.Unspecified)) names.Add("[yellow]unspecified[/] (\"any address\")");
        return string.Join(", ", names);
    }
}
