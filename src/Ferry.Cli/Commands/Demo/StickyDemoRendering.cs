using Ferry.Cli.Demos.Sticky;
using Ferry.Cli.Infrastructure;
using Spectre.Console;

namespace Ferry.Cli.Commands.Demo;

/// <summary>Draws one sticky-demo case: what was arranged, each send and read, and what it shows.</summary>
internal static class StickyDemoRendering
{
    private const int DataWidth = 48;

    public static void Render(IAnsiConsole console, StickyCaseResult result, bool plain)
    {
        console.WriteLine();
        console.Write(new Rule($"[bold]{Markup.Escape(result.Title)}[/] [grey]({result.Name})[/]").LeftJustified());
        console.MarkupLine($"[grey]arranged:[/] {Markup.Escape(result.Arranged)}");
        foreach (var group in Groups(result.Steps))
        {
            if (group.Part is not null) console.MarkupLine($"[bold]{Markup.Escape(group.Part)}[/]");
            var table = new Table().Border(TableBorder.Simple)
                .AddColumn("who").AddColumn("did").AddColumn(new TableColumn("bytes").RightAligned()).AddColumn("data").AddColumn("what it means");
            foreach (var step in group.Steps)
            {
                table.AddRow(
                    step.Side == "client" ? "[cyan]client[/]" : "[magenta]server[/]",
                    Markup.Escape(step.Action),
                    step.Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"[yellow]{Markup.Escape(Printable.Shorten(step.Text, DataWidth))}[/]",
                    Markup.Escape(step.Explanation));
            }
            console.WriteTable(table, plain);
        }
        if (result.Measurement is { } m)
        {
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("approach").AddColumn(new TableColumn("messages").RightAligned())
                .AddColumn(new TableColumn("seconds").RightAligned()).AddColumn(new TableColumn("messages/s").RightAligned());
            table.AddRow("length, wait for recv_ready, data", $"{m.Messages:N0}", $"{m.HandshakeSeconds:0.000}", $"[red]{m.HandshakeMessagesPerSecond:N0}[/]");
            table.AddRow("length header (Ferry frame)", $"{m.Messages:N0}", $"{m.HeaderSeconds:0.000}", $"[green]{m.HeaderMessagesPerSecond:N0}[/]");
            console.WriteTable(table, plain);
        }
        console.MarkupLine(result.EffectObserved
            ? $"[green]✓ observed:[/] {Markup.Escape(result.Verdict)}"
            : $"[red]✗ not observed:[/] {Markup.Escape(result.Verdict)}");
    }

    private static IEnumerable<(string? Part, List<StickyStep> Steps)> Groups(IReadOnlyList<StickyStep> steps)
    {
        var current = new List<StickyStep>();
        string? part = null;
        foreach (var step in steps)
        {
            if (current.Count > 0 && step.Part != part)
            {
                yield return (part, current);
                current = [];
            }
            part = step.Part;
            current.Add(step);
        }
        if (current.Count > 0) yield return (part, current);
    }
}
