namespace Ferry.Transfers;

/// <summary>
/// The weak checksum of a delta transfer's blocks: two 16-bit sums (of the bytes, and of the running first sum),
/// which can be moved one byte along a file in constant time. Cheap enough to compute at every offset of the sent
/// file; a hit is then confirmed with the block's strong hash (<see cref="BlockSignature"/>).
/// </summary>
internal struct RollingChecksum
{
    private uint _a;
    private uint _b;
    private readonly int _length;

    /// <summary>The checksum of <paramref name="window"/>, ready to roll along with <see cref="Roll"/>.</summary>
    public RollingChecksum(ReadOnlySpan<byte> window)
    {
        _length = window.Length;
        uint a = 0, b = 0;
        foreach (byte x in window)
        {
            a += x;
            b += a;
        }
        _a = a & 0xFFFF;
        _b = b & 0xFFFF;
    }

    /// <summary>Both sums in one 32-bit value: the first in the low half, the second in the high half.</summary>
    public readonly uint Value => _a | (_b << 16);

    /// <summary>Moves the window one byte on: <paramref name="leaving"/> drops off its start, <paramref name="entering"/> joins its end.</summary>
    public void Roll(byte leaving, byte entering)
    {
        // a = Σ x_i; b = Σ (L - i) x_i. Dropping x_0 takes L·x_0 off b; adding the new byte adds the new a to it.
        _a = (_a - leaving + entering) & 0xFFFF;
        _b = (_b - (uint)_length * leaving + _a) & 0xFFFF;
    }

    /// <summary>The checksum of <paramref name="block"/> in one go.</summary>
    public static uint Of(ReadOnlySpan<byte> block) => new RollingChecksum(block).Value;
}
