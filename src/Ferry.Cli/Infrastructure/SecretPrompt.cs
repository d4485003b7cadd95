using System.Text;

namespace Ferry.Cli.Infrastructure;

/// <summary>Asks people things on the terminal: passwords without echo, and yes/no questions. Never on a pipe.</summary>
internal static class SecretPrompt
{
    public const string PasswordVariable = "FERRY_PASSWORD";

    /// <summary>Whether there is a person to ask: standard input and error are a terminal.</summary>
    public static bool HasTerminal(CliContext? cli) => cli is null
        ? !Console.IsInputRedirected && !Console.IsErrorRedirected
        : cli.StdInIsTerminal && cli.StdErrIsTerminal;

    /// <summary>$FERRY_PASSWORD, else a no-echo prompt on a terminal, else null.</summary>
    public static string? FromEnvironmentOrTerminal(CliContext? cli, string prompt)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(PasswordVariable);
        if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment;
        return HasTerminal(cli) ? ReadHidden(prompt) : null;
    }

    /// <summary>Reads a line without echoing it.</summary>
    public static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0) text.Length--;
                continue;
            }
            if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }

    public static bool Confirm(CliContext? cli, string question)
    {
        var error = cli?.Error ?? Console.Error;
        error.Write(question);
        error.Flush();
        var answer = Console.ReadLine();
        return answer is not null && (answer.Trim().Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Trim().Equals("yes", StringComparison.OrdinalIgnoreCase));
    }
}
