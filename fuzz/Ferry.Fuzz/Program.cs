using Ferry.Fuzz;

// Ferry.Fuzz TARGET             run TARGET under afl-fuzz (fuzz/run.sh starts it so)
// Ferry.Fuzz TARGET PATH...     replay files or folders of inputs (an uninstrumented build only): prints each
//                               failure, exit 1 if any
// Under afl nothing of the instrumented library may run before Fuzzer.Run has mapped the coverage memory, so the
// target's name is checked against this list, not FuzzTargets.All (whose initialiser touches the library).
string[] names = ["frame", "json", "scram", "sntp", "udpchat", "path", "redis"];
if (args.Length == 0 || !names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: Ferry.Fuzz TARGET [INPUT...]; targets: {string.Join(", ", names)}");
    return 2;
}
var name = args[0];
if (args.Length == 1)
{
    SharpFuzz.Fuzzer.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        FuzzTargets.All[name](buffer.ToArray());
    });
    return 0;
}
var target = FuzzTargets.All[name];
int failures = 0, count = 0;
foreach (var input in args.Skip(1).SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]))
{
    count++;
    try
    {
        target(File.ReadAllBytes(input));
    }
    catch (Exception ex)
    {
        failures++;
        Console.WriteLine($"{input}: {ex}");
    }
}
Console.WriteLine($"{name}: {count} input(s), {failures} failure(s)");
return failures == 0 ? 0 : 1;
