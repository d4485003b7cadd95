using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli.Commands.Files;

/// <summary><c>put --json</c> and <c>get --json</c>: the whole batch (docs/cli-json.md).</summary>
internal sealed record TransferReport
{
    /// <summary><c>put</c> or <c>get</c>.</summary>
    public string Command { get; init; } = "";

    public List<TransferReportFile> Files { get; init; } = [];

    /// <summary>Paths not copied (symbolic links), as given.</summary>
    public List<string> Skipped { get; init; } = [];

    public int FileCount { get; init; }

    /// <summary>Sizes of all files, in bytes.</summary>
    public long TotalBytes { get; init; }

    /// <summary>Bytes that were already there from an earlier, interrupted run (checked by hash, not sent again).</summary>
    public long ResumedBytes { get; init; }

    /// <summary>Bytes that crossed the network this time.</summary>
    public long MovedBytes { get; init; }

    /// <summary>File data on the wire, all files (compressed, deltas with their signatures).</summary>
    public long WireBytes { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset FinishedAt { get; init; }

    public double DurationSeconds { get; init; }

    /// <summary><see cref="MovedBytes"/> over <see cref="DurationSeconds"/>.</summary>
    public long BytesPerSecond { get; init; }
}

/// <summary>One verified file of a <see cref="TransferReport"/>.</summary>
internal sealed record TransferReportFile
{
    /// <summary>Local path for put (<c>-</c> for stdin), remote path for get.</summary>
    public string Source { get; init; } = "";

    /// <summary>Remote path for put, local path for get (<c>-</c> for stdout).</summary>
    public string Destination { get; init; } = "";

    public long Size { get; init; }

    public long ResumedBytes { get; init; }

    public long MovedBytes { get; init; }

    /// <summary>A partial copy was there but did not match, so the whole file was sent.</summary>
    public bool Restarted { get; init; }

    /// <summary>File data on the wire: after compression; for a delta its instructions and the block signature.</summary>
    public long WireBytes { get; init; }

    /// <summary>Went as a delta against the destination's copy.</summary>
    public bool Delta { get; init; }

    /// <summary>Its data went compressed (-z, agreed to by the other end).</summary>
    public bool Compressed { get; init; }

    public string Sha256 { get; init; } = "";

    public double DurationSeconds { get; init; }
}

/// <summary><c>sync --json</c> (docs/cli-json.md): what was sent, deleted, created and skipped, or with --dry-run what would be.</summary>
internal sealed record SyncReport
{
    public string Command { get; init; } = "sync";

    /// <summary><c>put</c> (local folder to the server) or <c>get</c>.</summary>
    public string Direction { get; init; } = "";

    public bool DryRun { get; init; }

    /// <summary>The local folder, full path.</summary>
    public string Local { get; init; } = "";

    /// <summary>The remote folder, relative to the server's root.</summary>
    public string Remote { get; init; } = "";

    public List<SyncReportFile> Sent { get; init; } = [];

    /// <summary>Destination paths removed (relative; a folder went with its contents).</summary>
    public List<string> Deleted { get; init; } = [];

    /// <summary>Empty folders created at the destination (relative).</summary>
    public List<string> Folders { get; init; } = [];

    public List<SyncReportSkip> Skipped { get; init; } = [];

    /// <summary>Files that were already the same.</summary>
    public int Unchanged { get; init; }

    public long TotalBytes { get; init; }

    public long MovedBytes { get; init; }

    public long ResumedBytes { get; init; }

    /// <summary>File data on the wire, all files (compressed, deltas with their signatures).</summary>
    public long WireBytes { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public double DurationSeconds { get; init; }
}

/// <summary>One file of a <see cref="SyncReport"/>.</summary>
internal sealed record SyncReportFile
{
    /// <summary>Relative to the synced folders, '/'-separated.</summary>
    public string Path { get; init; } = "";

    public long Size { get; init; }

    /// <summary><c>new</c>, <c>size</c>, <c>mtime</c> or <c>checksum</c>: what differed.</summary>
    public string Reason { get; init; } = "";

    public long MovedBytes { get; init; }

    public long ResumedBytes { get; init; }

    /// <summary>File data on the wire: after compression; for a delta its instructions and the block signature.</summary>
    public long WireBytes { get; init; }

    /// <summary>Went as a delta against the destination's copy.</summary>
    public bool Delta { get; init; }

    /// <summary>Its data went compressed (-z, agreed to by the other end).</summary>
    public bool Compressed { get; init; }

    /// <summary>Empty in a dry run.</summary>
    public string Sha256 { get; init; } = "";
}

/// <summary>A path a sync left alone, and why: <c>link</c>, <c>partial file</c> or <c>excluded</c>.</summary>
internal sealed record SyncReportSkip
{
    public string Path { get; init; } = "";

    public string Why { get; init; } = "";
}

/// <summary><c>rm --json</c>.</summary>
internal sealed record RemoveReport
{
    public string Command { get; init; } = "rm";

    public List<string> Removed { get; init; } = [];
}

/// <summary><c>mkdir --json</c>.</summary>
internal sealed record MkdirReport
{
    public string Command { get; init; } = "mkdir";

    public string Created { get; init; } = "";

    public bool Parents { get; init; }
}

// Timestamps in the one style of every --json output: ISO 8601, UTC, 'Z', milliseconds.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(TransferReport))]
[JsonSerializable(typeof(RemoveReport))]
[JsonSerializable(typeof(SyncReport))]
[JsonSerializable(typeof(MkdirReport))]
internal sealed partial class FilesCliJsonContext : JsonSerializerContext
{
}
