namespace Ferry.Cli.Commands.Files;

/// <summary>One file to move, <see cref="Size"/> bytes (as far as known before it starts).</summary>
internal sealed record TransferJob(string Source, string Destination, long Size);
