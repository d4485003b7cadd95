using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Security;
using Ferry.Security.Accounts;
using Ferry.Security.Scram;
using Spectre.Console;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry user add|del|list|passwd</c>: SCRAM-SHA-256 accounts and their rights, in the state folder's users.json.</summary>
internal static class UserCommand
{
    public static Command Create(CliContext cli)
    {
        var command = new Command("user",
            "Manage user accounts (log in with --user NAME). Rights: " + string.Join(", ", Rights.All) + ". The shared key holds every right.");
        command.Add(Add(cli));
        command.Add(Delete(cli));
        command.Add(List(cli));
        command.Add(Passwd(cli));
        return command;
    }

    private static Option<string?> DataOption() => new("--data") { Description = "State folder. Default $FERRY_HOME or ~/.ferry" };

    private static Option<int> IterationsOption() => new("--iterations")
    {
        Description = $"PBKDF2 iterations for the password ({ScramSha256.MinIterations}-{ScramSha256.MaxIterations}); more is slower to guess and to log in",
        DefaultValueFactory = _ => ScramSha256.DefaultIterations,
    };

    private static Argument<string> NameArgument() => new("NAME") { Description = "The user name (letters, digits, '.', '_', '-', '@')" };

    private static Command Add(CliContext cli)
    {
        var data = DataOption();
        var name = NameArgument();
        var iterations = IterationsOption();
        var can = new Option<string[]>("--can")
        {
            Description = "Rights, comma-separated or repeated: " + string.Join(", ", Rights.All),
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("add", "Create a user; the password comes from $FERRY_PASSWORD, a no-echo prompt, or one line of standard input")
        {
            name, can, iterations, data,
        };
        command.SetAction(result =>
        {
            var store = Store(result, data);
            var user = result.GetValue(name)!;
            var rights = (result.GetValue(can) ?? []).SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            Guard(() => UserStore.ValidateName(user));
            var password = ReadNewPassword(cli, user);
            Guard(() => store.Add(user, password, rights, CheckIterations(result.GetValue(iterations))));
            cli.Out.WriteLine($"added user '{user}' with rights: {(rights.Length == 0 ? "(none)" : string.Join(", ", rights))}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Delete(CliContext cli)
    {
        var data = DataOption();
        var name = NameArgument();
        var command = new Command("del", "Delete a user (connections already logged in stay until they close)") { name, data };
        command.SetAction(result =>
        {
            var user = result.GetValue(name)!;
            if (!Store(result, data).Remove(user)) throw new CliUsageException($"no user '{user}'; 'ferry user list' shows who exists");
            cli.Out.WriteLine($"deleted user '{user}'");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(CliContext cli)
    {
        var data = DataOption();
        var json = CommonOptions.Json();
        var command = new Command("list", "List users and their rights") { data, json };
        command.SetAction(result =>
        {
            var users = Store(result, data).List();
            if (result.GetValue(json))
            {
                var rows = users.Select(u => new UserRow(u.Name, u.Rights, u.Scram.Iterations)).ToArray();
                cli.Out.WriteLine(JsonSerializer.Serialize(rows, UserJsonContext.Default.UserRowArray));
                return ExitCodes.Ok;
            }
            if (users.Count == 0)
            {
                cli.Out.WriteLine("no users yet; add one with 'ferry user add NAME --can exec,files:read'");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("user").AddColumn("rights").AddColumn(new TableColumn("iterations").RightAligned());
            foreach (var user in users)
            {
                table.AddRow(Markup.Escape(user.Name), Markup.Escape(user.Rights.Length == 0 ? "(none)" : string.Join(", ", user.Rights)), $"{user.Scram.Iterations:N0}");
            }
            cli.WriteTable(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Passwd(CliContext cli)
    {
        var data = DataOption();
        var name = NameArgument();
        var iterations = IterationsOption();
        var command = new Command("passwd", "Set a user's password (a new salt too); from $FERRY_PASSWORD, a no-echo prompt, or standard input") { name, iterations, data };
        command.SetAction(result =>
        {
            var store = Store(result, data);
            var user = result.GetValue(name)!;
            if (store.Find(user) is null) throw new CliUsageException($"no user '{user}'; 'ferry user list' shows who exists");
            var password = ReadNewPassword(cli, user);
            Guard(() => store.SetPassword(user, password, CheckIterations(result.GetValue(iterations))));
            cli.Out.WriteLine($"password changed for '{user}'");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static UserStore Store(ParseResult result, Option<string?> data)
    {
        var folder = Path.GetFullPath(result.GetValue(data) ?? StateFolder.Default());
        return new UserStore(Path.Combine(folder, StateFolder.UsersFileName));
    }

    private static string ReadNewPassword(CliContext cli, string user)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(SecretPrompt.PasswordVariable);
        if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment;
        if (SecretPrompt.HasTerminal(cli))
        {
            var first = SecretPrompt.ReadHidden($"New password for {user}: ");
            var again = SecretPrompt.ReadHidden("Again: ");
            if (first != again) throw new CliUsageException("the passwords do not match; nothing was changed");
            return first;
        }
        using var reader = new StreamReader(cli.StdIn, leaveOpen: true);
        return reader.ReadLine() is { Length: > 0 } line
            ? line
            : throw new CliUsageException("no password: set FERRY_PASSWORD, pipe it on standard input, or run on a terminal");
    }

    private static int CheckIterations(int iterations) => iterations is < ScramSha256.MinIterations or > ScramSha256.MaxIterations
        ? throw new CliUsageException($"--iterations must be {ScramSha256.MinIterations}-{ScramSha256.MaxIterations}")
        : iterations;

    private static void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            throw new CliUsageException(ex.Message);
        }
    }
}

internal sealed record UserRow(string Name, string[] Rights, int Iterations);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(UserRow[]))]
internal sealed partial class UserJsonContext : JsonSerializerContext
{
}
