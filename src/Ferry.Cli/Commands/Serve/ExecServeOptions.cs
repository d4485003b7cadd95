using System.CommandLine;
using Ferry.Cli.Infrastructure;
using Ferry.Hosting;

namespace Ferry.Cli.Commands.Serve;

/// <summary><c>--allow-exec</c>, <c>--exec-dir</c>, <c>--max-exec</c>, <c>--max-exec-per-connection</c>, <c>--exec-timeout</c>, <c>--exec-max-processes</c>.</summary>
internal sealed class ExecServeOptions : IServeOptionGroup
{
    private readonly Option<bool> _allow = new("--allow-exec")
    {
        Description = "Let clients holding the 'exec' right run shell commands as this server's user (off by default)",
    };
    private readonly Option<string?> _dir = new("--exec-dir") { Description = "Folder commands run in unless they ask for another. Default: home/ in the state folder" };
    private readonly Option<int> _max = new("--max-exec") { Description = "Commands running at once on the whole server", DefaultValueFactory = _ => 64 };
    private readonly Option<int> _perConnection = new("--max-exec-per-connection")
    {
        Description = "Commands running at once on one connection",
        DefaultValueFactory = _ => 16,
    };
    private readonly Option<double> _timeout = new("--exec-timeout") { Description = "Seconds any command may run at most (0: no limit)" + Durations.Hint, CustomParser = Durations.ParseSeconds };

    private readonly Option<int> _processes = new("--exec-max-processes")
    {
        Description = "Processes (and threads) one command may run at once, so a fork bomb stops there (0: no limit). " +
            "A pids cgroup per command where the server may create one, else RLIMIT_NPROC; the start-up log says which",
        DefaultValueFactory = _ => 256,
    };

    public void AddTo(Command command)
    {
        command.Add(_allow);
        command.Add(_dir);
        command.Add(_max);
        command.Add(_perConnection);
        command.Add(_timeout);
        command.Add(_processes);
    }

    public void Apply(ParseResult result, FerryHostOptions options)
    {
        var exec = options.Exec;
        exec.Enabled = result.GetValue(_allow);
        if (result.GetValue(_dir) is { } dir)
        {
            exec.Directory = Path.GetFullPath(dir);
            if (!Directory.Exists(exec.Directory)) throw new CliUsageException($"--exec-dir: no such folder: {exec.Directory}");
        }
        exec.MaxConcurrent = result.GetValue(_max);
        exec.MaxPerConnection = result.GetValue(_perConnection);
        if (exec.MaxConcurrent < 1 || exec.MaxPerConnection < 1) throw new CliUsageException("--max-exec and --max-exec-per-connection must be at least 1");
        double seconds = result.GetValue(_timeout);
        if (seconds < 0 || double.IsNaN(seconds)) throw new CliUsageException("--exec-timeout must be 0 (no limit) or more seconds");
        exec.MaxDuration = seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
        exec.MaxProcesses = result.GetValue(_processes);
        if (exec.MaxProcesses < 0) throw new CliUsageException("--exec-max-processes must be 0 (no limit) or a number of processes, such as 256");
    }
}
