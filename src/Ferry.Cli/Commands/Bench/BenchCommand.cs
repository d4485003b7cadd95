using System.CommandLine;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli.Commands.Bench;

/// <summary><c>ferry bench</c>: load generators that print rates and latency percentiles.</summary>
internal static class BenchCommand
{
    public static Command Create(CliContext cli)
    {
        var command = new Command("bench", "Measure a Ferry server: throughput and latency under load (every bench takes --json)");
        command.Add(BenchEchoCommand.Create(cli));
        command.Add(BenchTimeCommand.Create(cli));
        command.Add(BenchExecCommand.Create(cli));
        command.Add(BenchChatCommand.Create(cli));
        command.Add(BenchHandshakeCommand.Create(cli));
        command.Add(BenchFilesCommand.Create(cli, upload: true));
        command.Add(BenchFilesCommand.Create(cli, upload: false));
        command.Add(BenchConnsCommand.Create(cli));
        return command;
    }
}
