using System.Security.Cryptography;
using Ferry.Datagrams;
using Ferry.Contracts.Chat;
using FsCheck;
using FsCheck.Fluent;

namespace Ferry.Tests.Services.Chat;

public class ChatCodecPropertyTests
{
    private static readonly byte[] s_key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void SignedDatagramsRoundTripAnyText()
    {
        Prop.ForAll<NonNull<string>>(text =>
        {
            var clean = ChatText.StripControls(text.Get);
            var packet = UdpChatPacket.Create("say", "deck", "ann", clean);
            var datagram = packet.Encode(s_key);
            return UdpChatPacket.TryDecode(datagram, s_key, out var decoded, out _) && decoded == packet;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ChangingAnySignedByteIsDetected()
    {
        Prop.ForAll<NonNull<string>, int, byte>((text, where, flip) =>
        {
            if (flip == 0) return true;
            var datagram = UdpChatPacket.Create("say", "deck", "ann", ChatText.StripControls(text.Get)).Encode(s_key);
            int signedLength = datagram.Length - 54; // everything before ,"mac":"<44>"}
            datagram[(int)((uint)where % (uint)signedLength)] ^= flip;
            return !UdpChatPacket.TryDecode(datagram, s_key, out _, out _);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void StrippedTextHasNoControlCharactersAndStrippingTwiceChangesNothing()
    {
        Prop.ForAll<NonNull<string>>(text =>
        {
            var once = ChatText.StripControls(text.Get);
            return !once.Any(ChatText.IsControl) && ChatText.StripControls(once) == once;
        }).QuickCheckThrowOnFailure();
    }
}
