namespace Ferry.Cli.Commands.Files;

/// <summary>One file to move: shown as <see cref="Label"/>, <see cref="Size"/> bytes (0 when not known yet).</summary>
internal sealed record TransferJob(string Source, string Destination, long Size)
{
    public string Label => $"{Source} → {Destination}";
}
