using System.CommandLine;

namespace Ferry.Cli.Commands.Files;

/// <summary>The options put and get share.</summary>
internal sealed class TransferOptions
{
    public Option<string?> To { get; } = new("--to") { Description = "Folder to copy into (default: the root for put, the current folder for get)" };

    public Option<bool> Recursive { get; } = new("--recursive", "-r") { Description = "Copy folders with everything in them, keeping the tree" };

    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue an interrupted copy from its .part file (its bytes are checked by hash first)" };

    public Option<bool> Force { get; } = new("--force", "-f") { Description = "Overwrite files that already exist at the destination" };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print nothing but errors" };

    public void AddTo(Command command)
    {
        command.Add(To);
        command.Add(Recursive);
        command.Add(Resume);
        command.Add(Force);
        command.Add(Quiet);
    }
}
