using System.Buffers.Binary;
using System.Net;

namespace Ferry.Datagrams;

/// <summary>
/// The 48-byte NTP header (RFC 5905 §7.3, used as is by SNTP, RFC 4330): a pure codec with no clock and no
/// sockets. Extension fields and MACs that may follow the header are not part of it.
/// </summary>
public readonly record struct SntpPacket
{
    /// <summary>Bytes in the header; a plain SNTP request or reply is exactly this long.</summary>
    public const int Size = 48;

    /// <summary>Byte offset of the transmit timestamp, the last field, so it can be written as late as possible.</summary>
    public const int TransmitOffset = 40;

    /// <summary>The leap indicator.</summary>
    public SntpLeap Leap { get; init; }

    /// <summary>The protocol version (4; replies echo the request's 3 or 4).</summary>
    public int Version { get; init; }

    /// <summary>Client request, server reply, or one of the other NTP modes.</summary>
    public SntpMode Mode { get; init; }

    /// <summary>0 = unspecified or kiss-o'-death, 1 = primary (a reference clock), 2–15 = secondary, 16 = unsynchronized.</summary>
    public byte Stratum { get; init; }

    /// <summary>log2 of the poll interval in seconds.</summary>
    public sbyte Poll { get; init; }

    /// <summary>log2 of the clock's precision in seconds (−23 ≈ 119 ns).</summary>
    public sbyte Precision { get; init; }

    /// <summary>Round-trip delay to the reference clock.</summary>
    public NtpDuration RootDelay { get; init; }

    /// <summary>The largest error relative to the reference clock.</summary>
    public NtpDuration RootDispersion { get; init; }

    /// <summary>Four ASCII letters for stratum 0 (kiss code) and 1 (clock kind), an IPv4 address (or a hash) above.</summary>
    public uint ReferenceId { get; init; }

    /// <summary>When the server's clock was last set or corrected.</summary>
    public NtpTimestamp ReferenceTime { get; init; }

    /// <summary>In a reply: the request's transmit time, echoed (T1).</summary>
    public NtpTimestamp OriginTime { get; init; }

    /// <summary>In a reply: when the server received the request (T2).</summary>
    public NtpTimestamp ReceiveTime { get; init; }

    /// <summary>When the packet left its sender (T1 in a request, T3 in a reply).</summary>
    public NtpTimestamp TransmitTime { get; init; }

    /// <summary>A kiss-o'-death: a server reply with stratum 0, whose reference id is the kiss code (RATE, DENY, ...).</summary>
    public bool IsKissOfDeath => Mode == SntpMode.Server && Stratum == 0;

    /// <summary>The reference id in words: the kiss or clock code, or the address.</summary>
    public string ReferenceIdText => DescribeReferenceId(ReferenceId, Stratum);

    /// <summary>Reads the header from the first 48 bytes; false when fewer arrived.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out SntpPacket packet)
    {
        if (data.Length < Size)
        {
            packet = default;
            return false;
        }
        byte first = data[0];
        packet = new SntpPacket
        {
            Leap = (SntpLeap)(first >> 6),
            Version = (first >> 3) & 7,
            Mode = (SntpMode)(first & 7),
            Stratum = data[1],
            Poll = (sbyte)data[2],
            Precision = (sbyte)data[3],
            RootDelay = NtpDuration.FromShortFormat(BinaryPrimitives.ReadUInt32BigEndian(data[4..])),
            RootDispersion = NtpDuration.FromShortFormat(BinaryPrimitives.ReadUInt32BigEndian(data[8..])),
            ReferenceId = BinaryPrimitives.ReadUInt32BigEndian(data[12..]),
            ReferenceTime = ReadTimestamp(data, 16),
            OriginTime = ReadTimestamp(data, 24),
            ReceiveTime = ReadTimestamp(data, 32),
            TransmitTime = ReadTimestamp(data, TransmitOffset),
        };
        return true;
    }

    /// <summary>Writes the 48-byte header into <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Size);
        destination[0] = (byte)((((int)Leap & 3) << 6) | ((Version & 7) << 3) | ((int)Mode & 7));
        destination[1] = Stratum;
        destination[2] = (byte)Poll;
        destination[3] = (byte)Precision;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], RootDelay.ToShortFormat());
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], RootDispersion.ToShortFormat());
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], ReferenceId);
        WriteTimestamp(destination, 16, ReferenceTime);
        WriteTimestamp(destination, 24, OriginTime);
        WriteTimestamp(destination, 32, ReceiveTime);
        WriteTimestamp(destination, TransmitOffset, TransmitTime);
    }

    /// <summary>Reads the 64-bit big-endian timestamp at <paramref name="offset"/>.</summary>
    public static NtpTimestamp ReadTimestamp(ReadOnlySpan<byte> data, int offset) => new(BinaryPrimitives.ReadUInt64BigEndian(data[offset..]));

    /// <summary>Writes <paramref name="timestamp"/> big-endian at <paramref name="offset"/>.</summary>
    public static void WriteTimestamp(Span<byte> data, int offset, NtpTimestamp timestamp) =>
        BinaryPrimitives.WriteUInt64BigEndian(data[offset..], timestamp.Value);

    /// <summary>A client request (mode 3) whose transmit timestamp the server will echo back as the origin.</summary>
    public static SntpPacket ClientRequest(NtpTimestamp transmit, int version = 4, sbyte poll = 6) => new()
    {
        Version = version,
        Mode = SntpMode.Client,
        Poll = poll,
        TransmitTime = transmit,
    };

    /// <summary>Four ASCII characters as a reference id ("LOCL", "GPS", "RATE"), padded with zero bytes.</summary>
    public static uint ReferenceIdFromText(string text)
    {
        if (text.Length is 0 or > 4 || text.Any(c => c is < ' ' or > '~'))
        {
            throw new ArgumentException($"a reference id is 1-4 printable ASCII characters, not '{text}'", nameof(text));
        }
        uint id = 0;
        for (int i = 0; i < 4; i++) id = (id << 8) | (i < text.Length ? (byte)text[i] : 0u);
        return id;
    }

    /// <summary>Kiss codes and clock names as text; above stratum 1 the upstream's IPv4 address.</summary>
    public static string DescribeReferenceId(uint id, byte stratum)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, id);
        if (stratum <= 1 || IsAscii(bytes))
        {
            var text = new string(bytes.ToArray().TakeWhile(b => b != 0).Select(b => b is >= 32 and < 127 ? (char)b : '?').ToArray());
            return text;
        }
        return new IPAddress(bytes).ToString();
    }

    private static bool IsAscii(ReadOnlySpan<byte> bytes)
    {
        // Letters only in the first byte: an address like 76.79.67.76 is indistinguishable from "LOCL" otherwise.
        if (bytes[0] is < (byte)'A' or > (byte)'Z') return false;
        foreach (var b in bytes)
        {
            if (b != 0 && b is < 32 or >= 127) return false;
        }
        return true;
    }
}
