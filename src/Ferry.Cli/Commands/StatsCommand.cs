using System.CommandLine;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Contracts.Stats;
using Spectre.Console;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry stats</c>: a server's connections, requests, bytes, counters and memory.</summary>
internal static class StatsCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var json = CommonOptions.Json();
        var command = new Command("stats",
            "Show a server's running totals: connections (current, total, refused), requests per type, bytes in/out, " +
            "exec processes and transfers running, uptime and memory. Any authenticated user may ask. " +
            "To watch them live: dotnet-counters monitor --counters Ferry.Server -p PID")
        {
            json,
        };
        connect.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            var stats = await client.GetStatsAsync(ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                cli.Out.WriteLine(stats.ToJson());
            }
            else
            {
                Render(cli, client.Options.Target.ToString(), stats);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Render(CliContext cli, string target, StatsResponse s)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("stats").AddColumn(new TableColumn(Markup.Escape($"{target} ({s.Server}, pid {s.Pid})")).RightAligned());
        table.AddRow("uptime", FormatUptime(s.UptimeSeconds));
        table.AddRow("connections now", $"[bold]{s.Connections.Current:N0}[/]");
        table.AddRow("connections total / refused", $"{s.Connections.Total:N0} / {s.Connections.Refused:N0}");
        table.AddRow("bytes in / out", $"{FormatBytes(s.BytesIn)} / {FormatBytes(s.BytesOut)}");
        foreach (var (name, value) in s.Counters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(Label(name)), $"{value:N0}");
        }
        table.AddRow("resident memory", FormatBytes(s.Memory.WorkingSetBytes));
        // The runtime learns its committed size only at a collection: before the first one it reports 0, which is not a size.
        var committed = s.Memory.GcCommittedBytes > 0 ? FormatBytes(s.Memory.GcCommittedBytes) : "(no collection yet)";
        table.AddRow("GC heap / committed", $"{FormatBytes(s.Memory.GcHeapBytes)} / {committed}");
        if (s.Memory.GcCollections.Length == 3)
        {
            table.AddRow("GC collections (gen 0/1/2), paused", $"{string.Join(" / ", s.Memory.GcCollections)}, {s.Memory.GcPauseMillis:0.#} ms");
        }
        if (s.Requests.Count == 0)
        {
            table.AddRow("requests", "none yet");
        }
        foreach (var (type, count) in s.Requests.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape($"requests: {type}"), $"{count:N0}");
        }
        cli.WriteTable(table);
        if (s.ChatCluster is { } cluster) RenderCluster(cli, cluster);
    }

    // The chat shared through Redis: one row per server, then the totals.
    private static void RenderCluster(CliContext cli, StatsChatCluster c)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("chat server").AddColumn(new TableColumn("members").RightAligned()).AddColumn(new TableColumn("last heartbeat").RightAligned()).AddColumn("state");
        foreach (var server in c.Servers)
        {
            var state = !server.Alive ? "[red]lost (not beating)[/]" : server.This ? (c.Degraded ? "[red]this one, Redis lost[/]" : "this one") : "alive";
            table.AddRow(Markup.Escape(server.Id), server.Members is { } m ? $"{m:N0}" : "?",
                server.HeartbeatAgeMillis is { } age ? $"{age / 1000.0:0.0} s ago" : "?", state);
        }
        if (c.Servers.Length == 0) table.AddRow(Markup.Escape(c.ServerId), "?", "?", "[red]not listed in Redis[/]");
        table.AddEmptyRow();
        table.AddRow("shared through", Markup.Escape(c.SharedThrough), "", "");
        table.AddRow("servers", $"{c.Servers.Count(x => x.Alive):N0} alive" + (c.Servers.Any(x => !x.Alive) ? $", {c.Servers.Count(x => !x.Alive)} lost" : ""), "", "");
        table.AddRow("members", $"{c.Servers.Sum(x => x.Members ?? 0):N0}", "", "");
        table.AddRow("rooms", $"{c.Rooms:N0}", "", "");
        table.AddRow("Redis round trip", c.RedisRoundTripMillis is { } rtt ? $"{rtt:0.###} ms" : "[red]no answer[/]", "", "");
        if (c.Error is { } error) table.AddRow("[red]error[/]", Markup.Escape(error), "", "");
        cli.WriteTable(table);
    }

    // "exec.processesRunning" reads "exec processes running".
    private static string Label(string counter)
    {
        var label = new System.Text.StringBuilder(counter.Length + 4);
        foreach (char c in counter)
        {
            if (c is '.' or '_') label.Append(' ');
            else if (char.IsAsciiLetterUpper(c)) label.Append(' ').Append(char.ToLowerInvariant(c));
            else label.Append(c);
        }
        return label.ToString();
    }

    internal static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB",
    };

    private static string FormatUptime(double seconds)
    {
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h {t.Minutes:00}m {t.Seconds:00}s" : t.TotalMinutes >= 1 ? $"{t.Minutes}m {t.Seconds:00}s" : $"{t.TotalSeconds:0.0} s";
    }
}
