namespace Ferry.Transfers;

/// <summary>Sizes shared by both ends of a transfer: large pooled chunks, a few in flight, so memory stays flat.</summary>
public static class TransferBuffers
{
    /// <summary>The body size of one <c>file.data</c> frame, and of each disk read or write.</summary>
    public const int ChunkBytes = 1024 * 1024;

    /// <summary>Chunks queued between the disk side and the network side of one transfer.</summary>
    public const int Depth = 4;
}
