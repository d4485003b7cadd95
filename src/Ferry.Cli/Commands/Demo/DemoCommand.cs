using System.CommandLine;
using Ferry.Cli.Demos.Sticky;
using Ferry.Cli.Infrastructure;
using Spectre.Console;

namespace Ferry.Cli.Commands.Demo;

/// <summary><c>ferry demo</c>: lists the narrated networking demos; each is a subcommand.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext cli)
    {
        var command = new Command("demo", "Narrated networking demonstrations that run on this machine (loopback only). Run without a name to list them.");
        command.Add(StickyDemoCommand.Create(cli));
        command.SetAction(_ =>
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumn("demo").AddColumn("what you will see").AddColumn("run");
            table.AddRow("sticky",
                "TCP keeps bytes in order but not message boundaries: sends merge, reads split, a big reply spills into the next. " +
                "Then Ferry's length header fixes all three, and the course's slower handshake fix is measured against it.",
                "ferry demo sticky\nferry demo sticky --case NAME");
            cli.WriteTable(table);
            cli.Console.MarkupLine("[grey]sticky cases:[/] " + string.Join(", ", StickyDemo.Cases.Select(c => c.Name)));
            return ExitCodes.Ok;
        });
        return command;
    }
}
