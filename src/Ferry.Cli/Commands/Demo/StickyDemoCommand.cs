using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Demos.Sticky;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli.Commands.Demo;

/// <summary><c>ferry demo sticky</c>: watch TCP stick messages together on real loopback sockets, then see framing fix it.</summary>
internal static class StickyDemoCommand
{
    // Relaxed escaping so the observed bytes read as they are ('hello', not \u0027hello\u0027).
    private static readonly DemoJsonContext s_json = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static Command Create(CliContext cli)
    {
        var caseName = new Option<string>("--case")
        {
            Description = "Run one case: " + string.Join(", ", StickyDemo.Cases.Select(c => c.Name)),
        };
        var json = CommonOptions.Json();
        var command = new Command("sticky",
            "Sticky packets, live: a throwaway server and client in this process, on 127.0.0.1, real sockets.\n" +
            string.Join("\n", StickyDemo.Cases.Select(c => $"  {c.Name,-20} {c.Summary}")) + "\n" +
            "Each case arranges its timing so the effect shows on every run, and says how. --json prints the observed reads.")
        {
            caseName, json,
        };
        command.SetAction(async (result, ct) =>
        {
            var names = result.GetValue(caseName) is { } one ? [one] : StickyDemo.Cases.Select(c => c.Name).ToArray();
            foreach (var name in names)
            {
                if (!StickyDemo.IsCase(name))
                {
                    throw new CliUsageException($"--case: no case '{name}'; choose one of {string.Join(", ", StickyDemo.Cases.Select(c => c.Name))}");
                }
            }
            bool asJson = result.GetValue(json);
            var results = new List<StickyCaseResult>();
            foreach (var name in names)
            {
                var outcome = await StickyDemo.RunAsync(name, cancellationToken: ct).ConfigureAwait(false);
                results.Add(outcome);
                if (!asJson) StickyDemoRendering.Render(cli.Console, outcome, plain: !cli.StdOutIsTerminal);
            }
            bool all = results.All(r => r.EffectObserved);
            if (asJson)
            {
                var report = new StickyDemoReport("sticky", all, results);
                cli.Out.WriteLine(JsonSerializer.Serialize(report, s_json.StickyDemoReport));
            }
            if (!all)
            {
                cli.Error.WriteLine($"ferry: the demo did not show what it claims in: {string.Join(", ", results.Where(r => !r.EffectObserved).Select(r => r.Name))} (a busy machine can slow a measurement; run it again)");
                return ExitCodes.Error;
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>The <c>ferry demo sticky --json</c> document.</summary>
internal sealed record StickyDemoReport(string Demo, bool AllObserved, IReadOnlyList<StickyCaseResult> Cases);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(StickyDemoReport))]
internal sealed partial class DemoJsonContext : JsonSerializerContext;
