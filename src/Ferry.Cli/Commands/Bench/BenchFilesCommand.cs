using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Commands.Files;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Spectre.Console;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// <c>ferry bench put|get</c>: time one verified upload or download of a SIZE-byte file of random bytes, made in a
/// scratch folder (/dev/shm by default, so the local disk is not what is measured).
/// </summary>
internal static class BenchFilesCommand
{
    public static Command Create(CliContext cli, bool upload)
    {
        var connect = new ClientFactory();
        var size = new Option<long>("--size", "-s") { Description = "File size in bytes" + Sizes.Hint, CustomParser = Sizes.ParseInt64, DefaultValueFactory = _ => 1L << 30 };
        var dir = new Option<string?>("--dir") { Description = "Local scratch folder for the test file (default /dev/shm if present, else the temp folder)" };
        var file = new Option<string?>("--file") { Description = "Send this existing file instead of making one of --size random bytes (it is never changed or removed)" };
        var json = CommonOptions.Json();
        var verb = upload ? "put" : "get";
        var command = new Command(verb, upload
            ? "Upload throughput: one SIZE-byte file, hashed and verified, into the server's root (removed afterwards)"
            : "Download throughput: one SIZE-byte file (uploaded first, untimed), hashed and verified, into --dir")
        {
            size, dir, file, json,
        };
        connect.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            long bytes = result.GetValue(size);
            if (bytes < 1) throw new CliUsageException("--size must be at least 1");
            var source = result.GetValue(file);
            if (source is not null && !File.Exists(source)) throw new CliUsageException($"--file '{source}' does not exist");
            var scratch = result.GetValue(dir) ?? (Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath());
            var report = await RunAsync(connect.Options(result), upload, bytes, scratch, ct, source).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(report, BenchFilesJsonContext.Default.FileBenchReport));
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn($"bench {verb}").AddColumn(new TableColumn("result").RightAligned());
            table.AddRow("target", report.Target);
            table.AddRow("size", ByteSizes.Format(report.Size));
            table.AddRow("time", $"{report.Seconds:0.000} s");
            table.AddRow("[bold]MB/s[/]", $"[bold]{report.MegabytesPerSecond:0.0}[/]");
            table.AddRow("verified SHA-256", report.Sha256[..16] + "…");
            cli.WriteTable(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static async Task<FileBenchReport> RunAsync(FerryClientOptions options, bool upload, long size, string scratch, CancellationToken ct,
        string? source = null)
    {
        var name = $"ferry-bench-{Guid.NewGuid():N}.bin";
        var local = source ?? Path.Combine(scratch, name);
        var fetched = Path.Combine(scratch, "got-" + name);
        try
        {
            if (source is null) await WriteRandomFileAsync(local, size, ct).ConfigureAwait(false);
            else size = new FileInfo(source).Length;
            await using var client = await FerryClient.ConnectAsync(options, ct).ConfigureAwait(false);
            FileTransferResult result;
            try
            {
                if (upload)
                {
                    result = await client.UploadAsync(local, name, new FileTransferOptions { Force = true }, ct).ConfigureAwait(false);
                }
                else
                {
                    await client.UploadAsync(local, name, new FileTransferOptions { Force = true }, ct).ConfigureAwait(false);
                    if (source is null) File.Delete(local); // free the memory of a tmpfs before the download lands there
                    result = await client.DownloadAsync(name, fetched, new FileTransferOptions { Force = true }, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                await client.RemoveAsync(name, cancellationToken: CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            double seconds = result.Elapsed.TotalSeconds;
            return new FileBenchReport(options.Target.ToString(), upload ? "put" : "get", size, Math.Round(seconds, 3),
                Math.Round(size / seconds / 1e6, 1), result.Sha256);
        }
        finally
        {
            if (source is null) File.Delete(local);
            File.Delete(fetched);
        }
    }

    private static async Task WriteRandomFileAsync(string path, long size, CancellationToken ct)
    {
        var block = new byte[4 * 1024 * 1024];
        Random.Shared.NextBytes(block);
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0);
        long left = size;
        long counter = 0;
        while (left > 0)
        {
            // Vary each block so nothing along the way can shortcut repeated content.
            BitConverter.TryWriteBytes(block, ++counter);
            int n = (int)Math.Min(left, block.Length);
            await file.WriteAsync(block.AsMemory(0, n), ct).ConfigureAwait(false);
            left -= n;
        }
    }
}

internal sealed record FileBenchReport(string Target, string Direction, long Size, double Seconds, double MegabytesPerSecond, string Sha256);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FileBenchReport))]
internal sealed partial class BenchFilesJsonContext : JsonSerializerContext
{
}
