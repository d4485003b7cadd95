using System.CommandLine;
using Ferry.Cli.Commands;
using Ferry.Cli.Commands.Bench;
using Ferry.Cli.Commands.Demo;
using Ferry.Cli.Commands.Files;
using Ferry.Cli.Commands.Serve;
using Ferry.Cli.Commands.Subnet;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        SocketCompletionMode.PreferInline();
        return RunAsync(args, CliContext.FromProcess());
    }

    internal static async Task<int> RunAsync(string[] args, CliContext cli, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(cli);
        var parsed = root.Parse(args);
        var config = new InvocationConfiguration
        {
            Output = cli.Out,
            Error = cli.Error,
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await parsed.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return CliErrorHandler.Handle(ex, cli, parsed.GetValue(CommonOptions.Verbose));
        }
    }

    internal static Command BuildRoot(CliContext cli)
    {
        // A plain command named "ferry" rather than RootCommand, whose name would be the assembly's.
        var root = new Command("ferry",
            "Ferry: run commands, move files, chat and keep time between machines, over one framed protocol.\n" +
            "Start a server with 'ferry serve', then talk to it: 'ferry echo localhost hi'.\n\n" + ExitCodes.Table);
        root.Add(new System.CommandLine.Help.HelpOption());
        root.Add(new VersionOption());
        root.Add(CommonOptions.Verbose);
        root.Add(ServeCommand.Create(cli));
        root.Add(EchoCommand.Create(cli));
        root.Add(BenchCommand.Create(cli));
        root.Add(SubnetCommand.Create(cli));
        root.Add(DemoCommand.Create(cli));
        root.Add(TimeCommand.Create(cli));
        root.Add(Commands.Exec.ExecCommand.Create(cli));
        root.Add(Commands.Exec.ShellCommand.Create(cli));
        root.Add(Commands.Chat.ChatCommand.Create(cli));
        root.Add(KeyCommand.Create(cli));
        root.Add(UserCommand.Create(cli));
        root.Add(PutCommand.Create(cli));
        root.Add(GetCommand.Create(cli));
        root.Add(LsCommand.Create(cli));
        root.Add(RmCommand.Create(cli));
        root.Add(MkdirCommand.Create(cli));
        root.Add(StatsCommand.Create(cli));
        return root;
    }
}
