using Ferry.Datagrams;
using FsCheck;
using FsCheck.Fluent;

namespace Ferry.Tests.Datagrams;

public class SntpArithmeticTests
{
    private static NtpTimestamp At(DateTime utc, double plusSeconds = 0) => NtpTimestamp.FromDateTime(utc) + NtpDuration.FromSeconds(plusSeconds);

    [Fact]
    public void OffsetAndDelayFromHandMadeTimestamps()
    {
        // The server is 2 s ahead; 10 ms on the wire each way; the server spends 1 ms between receive and transmit.
        var t1 = At(new DateTime(2026, 11, 22, 1, 0, 0, DateTimeKind.Utc));
        var t2 = t1 + NtpDuration.FromSeconds(2.010);
        var t3 = t2 + NtpDuration.FromSeconds(0.001);
        var t4 = t1 + NtpDuration.FromSeconds(0.021);
        var sample = new SntpSample(t1, t2, t3, t4);
        Assert.Equal(2.0, sample.Offset.TotalSeconds, 9);
        Assert.Equal(0.020, sample.Delay.TotalSeconds, 9);
    }

    [Fact]
    public void AsymmetricPathsShowUpAsHalfTheDifferenceInTheOffset()
    {
        // Clocks agree; 30 ms out, 10 ms back: SNTP cannot tell, and reads +10 ms.
        var t1 = new NtpTimestamp(0xE0000000_00000000);
        var sample = new SntpSample(t1, t1 + NtpDuration.FromSeconds(0.030), t1 + NtpDuration.FromSeconds(0.030), t1 + NtpDuration.FromSeconds(0.040));
        Assert.Equal(0.010, sample.Offset.TotalSeconds, 9);
        Assert.Equal(0.040, sample.Delay.TotalSeconds, 9);
    }

    [Fact]
    public void ExchangeAcrossTheEraBoundaryOf2036()
    {
        // The client asks 3 ms before 2036-02-07 06:28:16 UTC; its clock is 250 ms behind the server's, so the
        // server's timestamps are already in era 1 (seconds wrapped to 0) while T1 is near 2^32 s of era 0.
        var client = NtpTimestamp.Era1.AddMilliseconds(-3);
        var t1 = At(client);
        var t2 = At(client, 0.250 + 0.004);
        var t3 = At(client, 0.250 + 0.0045);
        var t4 = At(client, 0.0085);
        Assert.Equal(0xFFFFFFFFu, t1.Seconds);
        Assert.Equal(0u, t2.Seconds);
        Assert.True(t4.Seconds == 0);
        var sample = new SntpSample(t1, t2, t3, t4);
        Assert.Equal(0.250, sample.Offset.TotalSeconds, 6);
        Assert.Equal(0.008, sample.Delay.TotalSeconds, 6);
        // Dates come back in the right era either side of the boundary.
        Assert.Equal(new DateTime(2036, 2, 7, 6, 28, 15, 997, DateTimeKind.Utc), t1.ToDateTime());
        Assert.Equal(new DateTime(2036, 2, 7, 6, 28, 16, 251, DateTimeKind.Utc), t2.ToDateTime().AddTicks(-t2.ToDateTime().Ticks % TimeSpan.TicksPerMillisecond));
        Assert.Equal(2036, t2.ToDateTime(new DateTime(2036, 1, 1, 0, 0, 0, DateTimeKind.Utc)).Year);
    }

    [Fact]
    public void EraRuleOfRfc4330()
    {
        Assert.Equal(new DateTime(1968, 1, 20, 3, 14, 8, DateTimeKind.Utc), new NtpTimestamp(0x80000000UL << 32).ToDateTime());
        Assert.Equal(NtpTimestamp.Era1, new NtpTimestamp(0).ToDateTime());
        Assert.Equal(new DateTime(2104, 2, 26, 9, 42, 23, DateTimeKind.Utc), new NtpTimestamp(0x7FFFFFFFUL << 32).ToDateTime());
        // The Unix epoch is 2,208,988,800 s after NTP's.
        Assert.Equal(2_208_988_800u, NtpTimestamp.FromDateTime(DateTime.UnixEpoch).Seconds);
        Assert.Equal(0u, NtpTimestamp.FromDateTime(DateTime.UnixEpoch).Fraction);
    }

    [Fact]
    public void DatesRoundTripWithSubMicrosecondResolution() =>
        Prop.ForAll((from days in Gen.Choose(-1_000_000, 1_000_000) from tick in Gen.Choose(0, int.MaxValue) select (days, tick)).ToArbitrary(), pair =>
        {
            // Days around 2036 and any tick within the day: 1968-2104 converts there and back to the same tick.
            var instant = NtpTimestamp.Era1.AddDays(pair.Item1 / 40.0).AddTicks(pair.Item2 % TimeSpan.TicksPerSecond);
            var back = NtpTimestamp.FromDateTime(instant).ToDateTime(instant.AddDays(-1000));
            return back == instant;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void OffsetAndDelayHoldAnywhereIncludingAcrossEras() =>
        Prop.ForAll(
            (from start in Gen.Choose(-20_000, 20_000)
             from offset in Gen.Choose(-5_000_000, 5_000_000)
             from outward in Gen.Choose(0, 100_000)
             from back in Gen.Choose(0, 100_000)
             select (start, offset, outward, back)).ToArbitrary(),
            input =>
            {
                var (startMinutes, offsetMicros, outMicros, backMicros) = input;
                var t1 = NtpTimestamp.FromDateTime(NtpTimestamp.Era1.AddMinutes(startMinutes / 10.0));
                var offset = NtpDuration.FromSeconds(offsetMicros / 1e6);
                var t2 = t1 + offset + NtpDuration.FromSeconds(outMicros / 1e6);
                var t3 = t2 + NtpDuration.FromSeconds(0.000_050);
                var t4 = t3 - offset + NtpDuration.FromSeconds(backMicros / 1e6);
                var sample = new SntpSample(t1, t2, t3, t4);
                double expectedOffset = offsetMicros / 1e6 + (outMicros - backMicros) / 2e6;
                double expectedDelay = (outMicros + backMicros) / 1e6;
                return Math.Abs(sample.Offset.TotalSeconds - expectedOffset) < 1e-9 && Math.Abs(sample.Delay.TotalSeconds - expectedDelay) < 1e-9;
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void PacketRoundTripsThroughTheCodec()
    {
        var packet = new SntpPacket
        {
            Leap = SntpLeap.InsertSecond,
            Version = 4,
            Mode = SntpMode.Server,
            Stratum = 2,
            Poll = 6,
            Precision = -23,
            RootDelay = NtpDuration.FromSeconds(0.5),
            RootDispersion = NtpDuration.FromSeconds(0.25),
            ReferenceId = SntpPacket.ReferenceIdFromText("LOCL"),
            ReferenceTime = new NtpTimestamp(0x01020304_05060708),
            OriginTime = new NtpTimestamp(0x11121314_15161718),
            ReceiveTime = new NtpTimestamp(0x21222324_25262728),
            TransmitTime = new NtpTimestamp(0x31323334_35363738),
        };
        var bytes = new byte[SntpPacket.Size];
        packet.Write(bytes);
        Assert.Equal(0b01_100_100, bytes[0]);
        Assert.Equal("LOCL"u8.ToArray(), bytes[12..16]);
        Assert.Equal(new byte[] { 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38 }, bytes[40..48]);
        Assert.True(SntpPacket.TryRead(bytes, out var read));
        Assert.Equal(packet, read);
        Assert.Equal("LOCL", read.ReferenceIdText);
        Assert.False(SntpPacket.TryRead(bytes.AsSpan(0, 47), out _));
        Assert.Equal("RATE", new SntpPacket { Stratum = 0, ReferenceId = SntpPacket.ReferenceIdFromText("RATE") }.ReferenceIdText);
        Assert.Equal("192.0.2.1", SntpPacket.DescribeReferenceId(0xC0000201, 3));
    }

    [Fact]
    public void HumanUnits()
    {
        Assert.Equal("+12.345 ms", NtpDuration.FromSeconds(0.012345).ToHuman());
        Assert.Equal("-850 ns", NtpDuration.FromSeconds(-850e-9).ToHuman());
        Assert.Equal("+3.200 s", NtpDuration.FromSeconds(3.2).ToHuman());
        Assert.Equal("42.0 µs", NtpDuration.FromSeconds(42e-6).ToHuman(signed: false));
    }
}
