using Ferry.Fuzz;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Fuzz;

/// <summary>
/// Every input afl++ ever crashed a target with (tests/Ferry.Tests/Fuzz/corpus/TARGET/), and the seeds it starts
/// from (fuzz/seeds/TARGET/), replayed through the same targets: a fixed crash that comes back fails here.
/// </summary>
public class CorpusReplayTests
{
    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryCommittedInputReplaysWithoutACrash(string target)
    {
        var folders = new[] { RepoPaths.Of("tests", "Ferry.Tests", "Fuzz", "corpus", target), RepoPaths.Of("fuzz", "seeds", target) };
        var inputs = folders.Where(Directory.Exists).SelectMany(f => Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories)).Order().ToList();
        Assert.NotEmpty(inputs); // every target has seeds; an empty list means the folders moved
        var failures = new List<string>();
        foreach (var input in inputs)
        {
            try
            {
                FuzzTargets.All[target](File.ReadAllBytes(input));
            }
            catch (Exception ex)
            {
                failures.Add($"{Path.GetRelativePath(RepoPaths.Root, input)}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
