namespace Ferry.Tests.Infrastructure;

/// <summary>Tests that measure the whole process (its heap, its threads) and so must not share it with other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone in the process";
}
