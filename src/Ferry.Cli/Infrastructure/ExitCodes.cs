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

    /// <summary>What a shell reports for a writer killed by SIGPIPE (128 + 13): the reader of our output went away.</summary>
    public const int BrokenPipe = 141;

    public const string Table =
        "Exit codes: 0 ok, 1 error, 2 bad usage (one line on stderr says what), 3 cannot connect, 4 authentication or " +
        "permission refused, 5 the server answered with an error, 124 timed out, 130 interrupted (Ctrl-C), 141 the " +
        "reader of the output went away (broken pipe). 'ferry exec' exits with the remote command's code.";

    public const string Values =
        "Sizes: bytes, or 64k, 512MiB, 1G (k, M, G, T and KiB, MiB, GiB, TiB are 1024-based; kB, MB, GB, TB 1000-based). " +
        "Durations: seconds, or 250ms, 30s, 5m, 1h, 1m30s.";

    public const string ShortFlags =
        "Short flags mean one thing in every command: -r recursive, -f force, -q quiet, -p parents (mkdir), -n how many " +
        "(a count), -c how many at once, -k in flight, -s size, -d duration, -t/-T remote terminal or none (exec, shell; as ssh), -L/-R/-D local, remote and SOCKS forwards (forward; as ssh), -v verbose, -h help.";
}
