using System.CommandLine;
using Ferry.Hosting;

namespace Ferry.Cli.Commands.Serve;

/// <summary><c>--root</c>: the folder the file service serves.</summary>
internal sealed class FilesServeOptions : IServeOptionGroup
{
    private readonly Option<string?> _root = new("--root")
    {
        Description = "Folder served by put/get/ls/rm/mkdir; remote paths cannot leave it. Default: files/ in the state folder",
    };

    public void AddTo(Command command) => command.Add(_root);

    public void Apply(ParseResult result, FerryHostOptions options)
    {
        if (result.GetValue(_root) is { } root) options.Files.Root = Path.GetFullPath(root);
    }
}
