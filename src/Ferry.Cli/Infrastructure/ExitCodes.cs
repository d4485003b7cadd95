namespace Ferry.Cli.Infrastructure;

/// <summary>The exit codes every ferry command uses (also listed in <c>ferry --help</c>).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int CannotConnect = 3;
    public const int AuthFailed = 4;
    public const int RemoteError = 5;
    public const int Timeout = 124;
    public const int Interrupted = 130;

    /// <summary>Standard output's reader went away: the code a shell gives a writer killed by SIGPIPE (128 + 13), said silently.</summary>
    public const int BrokenPipe = 141;

    public const string Table =
        "Exit codes: 0 ok, 1 error, 2 bad usage, 3 cannot connect, 4 authentication or permission refused, " +
        "5 the server answered with an error, 124 timed out, 130 interrupted, 141 the reader of its output went away (| head). 'ferry exec' exits with the remote command's code.";
}
