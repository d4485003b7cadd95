using System.CommandLine;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli.Commands.Bench;

/// <summary><c>ferry bench</c>: load generators that print rates and latency percentiles.</summary>
internal static class BenchCommand
{
    public static Command Create(CliContext cli)
    {
        // A load generator wants socket completions to run inline on the event thread, as an event-loop
        // client would, instead of hopping to the thread pool per read (measured: about 15% more round trips/s).
        // Read once when the first socket operation starts, so it must be set before any connection opens.
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null
            && Environment.GetCommandLineArgs().Skip(1).FirstOrDefault() == "bench")
        {
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }
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
