namespace Ferry.Tests.Infrastructure;

/// <summary>A temp folder deleted at the end of a using block.</summary>
public sealed class ScratchFolder : IDisposable
{
    public string Path { get; } = TempDirectory.Create("ferry-scratch");

    public void Dispose() => TempDirectory.TryDelete(Path);
}
