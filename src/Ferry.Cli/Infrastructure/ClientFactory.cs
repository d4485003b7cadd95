using System.CommandLine;
using Ferry.Client;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// The connection options every client command shares, and the one place that turns them into a connected
/// <see cref="FerryClient"/>. New authentication options belong here, so every command gets them at once.
/// </summary>
internal sealed class ClientFactory
{
    public Argument<string> Target { get; } = CommonOptions.Target();

    public Option<bool> Plaintext { get; } = CommonOptions.Plaintext();

    /// <summary>Adds the target argument and connection options to <paramref name="command"/>.</summary>
    public void AddTo(Command command, bool withTarget = true)
    {
        if (withTarget) command.Add(Target);
        command.Add(Plaintext);
    }

    public FerryClientOptions Options(ParseResult result, string? targetText = null)
    {
        var target = CommonOptions.ParseTarget(targetText ?? result.GetValue(Target)!);
        return new FerryClientOptions(target)
        {
            Plaintext = result.GetValue(Plaintext),
        };
    }

    public Task<FerryClient> ConnectAsync(ParseResult result, CancellationToken cancellationToken) =>
        FerryClient.ConnectAsync(Options(result), cancellationToken);
}
