using System.Text.RegularExpressions;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Architecture;

/// <summary>
/// The library's folders are layers, each depending only on those before it; Server and Client never reference
/// each other. Checked on the source text, so a stray <c>using</c> or fully-qualified name fails the build's tests.
/// </summary>
public partial class LayeringTests
{
    private static readonly Dictionary<string, string[]> s_allowed = new()
    {
        ["Networking"] = [],
        ["Protocol"] = [],
        ["Connections"] = ["Protocol"],
        ["Security"] = ["Protocol", "Connections"],
        ["Server"] = ["Protocol", "Connections", "Security"],
        // Code both ends of a transfer use; "Services" only until the file message contracts move to their own layer.
        ["Transfers"] = ["Protocol", "Connections", "Services"],
        ["Services"] = ["Protocol", "Connections", "Security", "Server", "Transfers"],
        ["Datagrams"] = ["Protocol", "Connections", "Security", "Server", "Services"],
        ["Client"] = ["Protocol", "Connections", "Security", "Services", "Transfers", "Datagrams", "Networking"],
    };

    [Fact]
    public void EachLayerReferencesOnlyTheLayersBeforeIt()
    {
        var violations = new List<string>();
        foreach (var (layer, allowed) in s_allowed)
        {
            var folder = RepoPaths.Of("src", "Ferry", layer);
            Assert.True(Directory.Exists(folder), $"missing layer folder {folder}");
            foreach (var file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories))
            {
                var text = File.ReadAllText(file);
                foreach (Match match in LayerReference().Matches(text))
                {
                    var used = match.Groups[1].Value;
                    if (used != layer && !allowed.Contains(used))
                    {
                        violations.Add($"{Path.GetRelativePath(RepoPaths.Root, file)} ({layer}) uses Ferry.{used}");
                    }
                }
            }
        }
        Assert.True(violations.Count == 0, string.Join("\n", violations.Distinct()));
    }

    [GeneratedRegex(@"\bFerry\.(Protocol|Connections|Security|Server|Services|Datagrams|Client|Hosting|Networking|Transfers)\b")]
    private static partial Regex LayerReference();
}
