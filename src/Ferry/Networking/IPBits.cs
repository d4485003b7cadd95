using System.Net;
using System.Net.Sockets;

namespace Ferry.Networking;

/// <summary>An IP address as an unsigned number (IPv4 in the low 32 bits), so masks are plain integer arithmetic.</summary>
internal static class IPBits
{
    public static int Width(AddressFamily family) => family == AddressFamily.InterNetwork ? 32 : 128;

    public static UInt128 ToNumber(IPAddress address)
    {
        UInt128 value = 0;
        foreach (byte b in address.GetAddressBytes()) value = (value << 8) | b;
        return value;
    }

    public static IPAddress ToAddress(UInt128 value, int width)
    {
        var bytes = new byte[width / 8];
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xFF);
            value >>= 8;
        }
        return new IPAddress(bytes);
    }

    /// <summary>All ones in the top <paramref name="prefix"/> bits of a <paramref name="width"/>-bit number.</summary>
    public static UInt128 Mask(int prefix, int width)
    {
        UInt128 all = AllOnes(width);
        // Shift counts wrap at 128, so the full-width mask is spelled out rather than computed.
        if (prefix >= width) return all;
        return prefix == 0 ? 0 : all ^ (all >> prefix);
    }

    public static UInt128 AllOnes(int width) => width == 128 ? UInt128.MaxValue : (UInt128.One << width) - 1;

    /// <summary>The prefix length of a contiguous mask, or -1 when a one follows a zero.</summary>
    public static int PrefixOf(UInt128 mask, int width)
    {
        int ones = 0;
        while (ones < width && ((mask >> (width - 1 - ones)) & 1) == 1) ones++;
        return Mask(ones, width) == mask ? ones : -1;
    }

    /// <summary>
    /// Binary digits grouped as the address is written (8 per dotted part, 16 per IPv6 group), cut at the
    /// network/host boundary. A group separator that falls exactly on the boundary is dropped: the boundary replaces it.
    /// </summary>
    public static (string Network, string Host) Binary(UInt128 value, int width, int prefix)
    {
        int group = width == 32 ? 8 : 16;
        char separator = width == 32 ? '.' : ':';
        var network = new System.Text.StringBuilder(width + 8);
        var host = new System.Text.StringBuilder(width + 8);
        for (int bit = 0; bit < width; bit++)
        {
            var target = bit < prefix ? network : host;
            if (bit > 0 && bit % group == 0 && bit != prefix) target.Append(separator);
            target.Append(((value >> (width - 1 - bit)) & 1) == 1 ? '1' : '0');
        }
        return (network.ToString(), host.ToString());
    }
}
