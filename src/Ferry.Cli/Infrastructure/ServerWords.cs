namespace Ferry.Cli.Infrastructure;

/// <summary>
/// The server's error messages speak the protocol ("set 'force'"), because library users read them too; on the
/// command line the same advice names the flag or chat command that does it ("use --force"). One table, here.
/// </summary>
internal static class ServerWords
{
    private static readonly (string Protocol, string Cli)[] s_phrases =
    [
        ("set 'force' to overwrite it", "use --force to overwrite it"),
        // Uploads resume by default on the command line: the same put again continues where it stopped.
        ("'resume' with the same 'key' continues it", "the same put again continues it"),
        ("then resume the upload ('resume' with the same 'key')", "then run the same put again to continue"),
        ("set 'recursive' to remove it with its contents", "use -r to remove it with its contents"),
        ("file.get reads files only; list a folder with file.list", "use -r to copy folders"),
        ("choose another (chat.nick, or 'nick' on chat.join)", "choose another (--nick NAME or /nick NAME)"),
        ("join an existing one (chat.rooms lists them)", "join an existing one (ferry chat --rooms lists them)"),
        ("join one first (chat.join)", "join one first (/join ROOM)"),
        ("(chat.who lists a room's members)", "(/who lists a room's members)"),
        ("(chat.rooms lists them)", "(/rooms lists them)"),
        ("choose one with chat.nick", "choose one with --nick"),
    ];

    /// <summary><paramref name="message"/> with the protocol's advice put in the CLI's words.</summary>
    public static string ForCli(string message)
    {
        foreach (var (protocol, cli) in s_phrases)
        {
            if (message.Contains(protocol, StringComparison.Ordinal)) message = message.Replace(protocol, cli, StringComparison.Ordinal);
        }
        return message;
    }
}
