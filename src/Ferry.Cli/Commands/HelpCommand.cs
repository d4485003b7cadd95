using System.CommandLine;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry help [COMMAND...]</c>: the same page as <c>ferry COMMAND --help</c>, as in git and gh.</summary>
internal static class HelpCommand
{
    public static Command Create(CliContext cli, Command root)
    {
        var topic = new Argument<string[]>("COMMAND")
        {
            Description = "The command to explain, e.g. 'ls' or 'bench echo' (default: ferry itself)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("help", "Show the help of ferry or of one command: ferry help ls") { topic };
        command.SetAction(result =>
        {
            var path = result.GetValue(topic) ?? [];
            var current = root;
            for (int i = 0; i < path.Length; i++)
            {
                var next = current.Subcommands.FirstOrDefault(c => c.Name == path[i] || c.Aliases.Contains(path[i]));
                if (next is null)
                {
                    var known = string.Join(' ', ["ferry", .. path[..i]]);
                    cli.Error.WriteLine($"ferry help: unknown command '{string.Join(' ', path[..(i + 1)])}' (see '{known} --help')");
                    return ExitCodes.Usage;
                }
                current = next;
            }
            return root.Parse([.. path, "--help"]).Invoke(result.InvocationConfiguration);
        });
        return command;
    }
}
