using System.CommandLine;
using Ferry.Cli.Infrastructure;
using Ferry.Hosting;

namespace Ferry.Cli.Commands.Serve;

/// <summary><c>--root</c>: the folder the file service serves; <c>--keep-parts</c>: how long cut-off uploads wait for a resume.</summary>
internal sealed class FilesServeOptions : IServeOptionGroup
{
    private readonly Option<string?> _root = new("--root")
    {
        Description = "Folder served by put/get/ls/rm/mkdir; remote paths cannot leave it. Default: files/ in the state folder",
    };

    private readonly Option<double> _keepParts = new("--keep-parts")
    {
        Description = "Days a cut-off upload's .part file is kept for 'put --resume' after its last write; older ones are "
            + "deleted at start-up and hourly. 0 keeps them forever (or with a unit: 12h, 30d)",
        CustomParser = Durations.ParseDays,
        DefaultValueFactory = _ => 7,
    };

    public void AddTo(Command command)
    {
        command.Add(_root);
        command.Add(_keepParts);
    }

    public void Apply(ParseResult result, FerryHostOptions options)
    {
        if (result.GetValue(_root) is { } root) options.Files.Root = Path.GetFullPath(root);
        double days = result.GetValue(_keepParts);
        if (double.IsNaN(days) || days < 0 || days > 36500)
        {
            throw new CliUsageException("--keep-parts takes a number of days from 0 (keep forever) to 36500");
        }
        options.Files.PartLifetime = days == 0 ? null : TimeSpan.FromDays(days);
    }
}
