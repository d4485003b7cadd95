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
        // A mistake on the command line is one line naming it and exit 2, before anything runs (not the whole help,
        // and never an unknown option taken for a file name).
        if (UsageErrors.Describe(parsed) is { } usage)
        {
            cli.Error.WriteLine(usage);
            return ExitCodes.Usage;
        }
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
            "Start a server with 'ferry serve', then talk to it: 'ferry echo localhost hi'. 'ferry help COMMAND' explains one.\n\n" +
            ExitCodes.Table + "\n\n" + ExitCodes.Values + "\n\n" + ExitCodes.ShortFlags);
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
        root.Add(Commands.Forward.ForwardCommand.Create(cli));
        root.Add(Commands.Chat.ChatCommand.Create(cli));
        root.Add(KeyCommand.Create(cli));
        root.Add(UserCommand.Create(cli));
        root.Add(PutCommand.Create(cli));
        root.Add(GetCommand.Create(cli));
        root.Add(SyncCommand.Create(cli));
        root.Add(LsCommand.Create(cli));
        root.Add(RmCommand.Create(cli));
        root.Add(MkdirCommand.Create(cli));
        root.Add(StatsCommand.Create(cli));
        root.Add(ConfigCommand.Create(cli));
        root.Add(CompletionCommand.Create(cli));
        root.Add(CompleteCommand.Create(cli, () => root));
        root.Add(HelpCommand.Create(cli, root));
        // 'ferry' alone is asking what there is: a short list on stdout and exit 0, as gh does (git prints its usage
        // and exits 1; neither prints an error about a missing command followed by all of the help, as before).
        root.SetAction(_ => ShortHelp(cli, root));
        ShowHelpWhenNoSubcommand(root);
        return root;
    }

    private static int ShortHelp(CliContext cli, Command root)
    {
        var commands = root.Subcommands.Where(c => !c.Hidden).ToList();
        int width = commands.Max(c => c.Name.Length) + 2;
        cli.Out.WriteLine("usage: ferry COMMAND [ARGUMENTS] [OPTIONS]");
        cli.Out.WriteLine();
        foreach (var command in commands)
        {
            var summary = (command.Description ?? "").Split('\n', 2)[0];
            int stop = summary.IndexOfAny(['.', ':', '(']);
            if (stop > 0 && stop < summary.Length - 1) summary = summary[..stop].TrimEnd();
            cli.Out.WriteLine($"  {command.Name.PadRight(width)}{summary}");
        }
        cli.Out.WriteLine();
        cli.Out.WriteLine("'ferry help COMMAND' or 'ferry COMMAND --help' explains a command; 'ferry --help' also lists the exit codes,");
        cli.Out.WriteLine("how sizes and durations are written, and the short flags.");
        return ExitCodes.Ok;
    }

    // 'ferry' or 'ferry bench' alone is asking what there is: the help on stdout and exit 0, as gh does (not an error
    // about a missing command followed by the help).
    private static void ShowHelpWhenNoSubcommand(Command command)
    {
        if (command.Subcommands.Count == 0) return;
        // A plain action that prints the help, not HelpAction itself: that one clears parse errors, so 'ferry --bogus'
        // would print the help and exit 0 instead of naming '--bogus'.
        if (command.Action is null) command.SetAction(result => new System.CommandLine.Help.HelpAction().Invoke(result));
        foreach (var sub in command.Subcommands) ShowHelpWhenNoSubcommand(sub);
    }
}
