using System.CommandLine;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli.Commands.Files;

/// <summary>The options put and get share.</summary>
internal sealed class TransferOptions
{
    public TransferOptions(string toDescription)
    {
        To = new("--to") { Description = toDescription };
    }

    public Option<string?> To { get; }

    public Option<bool> Recursive { get; } = new("--recursive", "-r") { Description = "Copy folders with everything in them, keeping the tree" };

    public Option<bool> Restart { get; } = new("--restart")
    {
        Description = "Throw away the partial copy an interrupted run left and start over (by default it is checked by hash and continued)",
    };

    // Resuming is the default now; the old flag stays accepted so scripts that pass it keep working.
    public Option<bool> Resume { get; } = new("--resume") { Description = "Accepted for old scripts; resuming is the default", Hidden = true };

    public Option<bool> Force { get; } = new("--force", "-f") { Description = "Overwrite files that already exist at the destination" };

    public Option<bool> Compress { get; } = CompressOption();

    /// <summary>--compress / -z, the same for put, get and sync.</summary>
    public static Option<bool> CompressOption() => new("--compress", "-z")
    {
        Description = "Compress file data on the wire with zstd where it shrinks (text, logs, sources); already-compressed data goes as it is. An older server gets it uncompressed",
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print nothing but errors" };

    public Option<bool> Json { get; } = CommonOptions.Json();

    public void AddTo(Command command)
    {
        command.Add(To);
        command.Add(Recursive);
        command.Add(Restart);
        command.Add(Resume);
        command.Add(Force);
        command.Add(Compress);
        command.Add(Quiet);
        command.Add(Json);
    }

    public TransferOutput Output(ParseResult result) =>
        result.GetValue(Json) ? TransferOutput.Json : result.GetValue(Quiet) ? TransferOutput.Quiet : TransferOutput.Text;
}
