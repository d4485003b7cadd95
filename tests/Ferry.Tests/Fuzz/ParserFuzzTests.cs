using System.Buffers;
using System.Text;
using System.Text.Json;
using Ferry.Datagrams;
using Ferry.Fuzz;
using Ferry.Protocol;
using Ferry.Contracts.Files;
using Ferry.Services.Files;
using Ferry.Tests.Infrastructure;
using FsCheck;
using FsCheck.Fluent;

namespace Ferry.Tests.Fuzz;

/// <summary>
/// Issue 14, "keep them out": a bounded property fuzz of every parser that takes network bytes, through the same
/// targets afl++ runs (fuzz/Ferry.Fuzz/FuzzTargets.cs). Each input is structured (near-valid frames, JSON with the
/// contract's own field names and hostile values, SCRAM messages built from their attributes) or mutated from a
/// valid one, so the properties are exercised past the first check. A failure prints the smallest input FsCheck
/// found; add it to tests/Ferry.Tests/Fuzz/corpus/TARGET/ so it replays for ever.
/// </summary>
public class ParserFuzzTests
{
    private static readonly Config s_config = Config.QuickThrowOnFailure.WithMaxTest(400);

    // ---- values and mutations shared by the generators ----

    private static readonly Gen<string> s_scalar = Gen.OneOf(
        Gen.Elements("null", "true", "false", "0", "-0", "1", "-1", "1.5", "1e400", "-1e400", "9223372036854775807",
            "9223372036854775808", "-9223372036854775809", "2147483648", "4294967296", "1E+2", "0.0000001", "\"\"",
            "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"", "\"a\\/b\"", "\"../x\"", "\"x\"", "\"SIGKILL\"", "\"9\"", "\"true\""),
        ArbMap.Default.GeneratorFor<string>().Select(s => JsonSerializer.Serialize(s ?? "")),
        Gen.Choose(0, 70_000).Select(n => "\"" + new string('a', n) + "\""),
        ArbMap.Default.GeneratorFor<long>().Select(v => v.ToString()),
        ArbMap.Default.GeneratorFor<double>().Where(double.IsFinite).Select(v => v.ToString("R")));

    private static Gen<string> JsonValue(int depth) => depth <= 0
        ? s_scalar
        : Gen.OneOf(s_scalar, s_scalar, s_scalar,
            Gen.ListOf(JsonValue(depth - 1)).Select(items => "[" + string.Join(",", items.Take(8)) + "]"),
            Gen.ListOf(Gen.Zip(Gen.Elements("a", "b", "c", "path", "x"), JsonValue(depth - 1)))
                .Select(pairs => "{" + string.Join(",", pairs.Take(6).Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}"));

    /// <summary>A few random byte edits: overwrite, insert, delete — what afl's havoc does, smaller.</summary>
    private static Gen<byte[]> Mutated(byte[] seed) =>
        from edits in Gen.ListOf(from op in Gen.Choose(0, 2) from at in Gen.Choose(0, Math.Max(0, seed.Length - 1)) from value in Gen.Choose(0, 255) select (op, at, value))
        select Apply(seed, edits.Take(6));

    private static byte[] Apply(byte[] seed, IEnumerable<(int Op, int At, int Value)> edits)
    {
        var bytes = seed.ToList();
        foreach (var (op, at, value) in edits)
        {
            int where = bytes.Count == 0 ? 0 : Math.Min(at, bytes.Count - 1);
            if (op == 0 && bytes.Count > 0) bytes[where] = (byte)value;
            else if (op == 1) bytes.Insert(where, (byte)value);
            else if (bytes.Count > 0) bytes.RemoveAt(where);
        }
        return [.. bytes];
    }

    private static readonly Gen<byte[]> s_randomBytes = ArbMap.Default.GeneratorFor<byte[]>().Select(b => b ?? []);

    // ---- the frame codec ----

    private static readonly Gen<(string Type, long Id, long Size, string Extra)> s_envelope =
        from type in Gen.OneOf(Gen.Elements([.. MessageTypes.All]), ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get))
        from id in Gen.Choose(0, int.MaxValue).Select(v => (long)v * 3)
        from size in Gen.Choose(0, 200).Select(v => (long)v)
        from extra in Gen.ListOf(Gen.Zip(Gen.Elements("path", "nested", "room", "t"), JsonValue(2)))
        select (type, id, size, string.Concat(extra.Take(4).DistinctBy(p => p.Item1).Select(p => $",\"{p.Item1}\":{p.Item2}")));

    private static byte[] EnvelopeJson((string Type, long Id, long Size, string Extra) e) =>
        Encoding.UTF8.GetBytes($"{{\"type\":{JsonSerializer.Serialize(e.Type)},\"id\":{e.Id},\"size\":{e.Size}{e.Extra}}}");

    [Fact]
    public void ValidFramesRoundTripWhateverTheSegmentsAndEveryShorterPrefixAsksForMore()
    {
        var cases = from envelope in s_envelope
                    from cuts in Gen.ListOf(Gen.Choose(1, 400))
                    select (envelope, cuts: cuts.ToArray());
        Prop.ForAll(Arb.From(cases), c =>
        {
            var json = EnvelopeJson(c.envelope);
            if (json.Length > FrameCodec.DefaultMaxHeaderBytes) return true;
            var body = new byte[c.envelope.Size];
            Random.Shared.NextBytes(body);
            var frame = RawFrames.Frame(json, body);
            var reader = new SequenceReader<byte>(SequenceFactory.Split(frame, c.cuts));
            Assert.True(FrameCodec.TryReadHeader(ref reader, FrameCodec.DefaultMaxHeaderBytes, out var header));
            Assert.Equal(c.envelope.Type, header.Type);
            Assert.Equal(c.envelope.Id, header.Id);
            Assert.Equal(c.envelope.Size, header.Size);
            Assert.Equal(4 + json.Length, reader.Consumed);
            Assert.Equal(json, header.Json.ToArray());
            // A frame still arriving: any prefix short of the header is "need more", with nothing consumed.
            foreach (int cut in c.cuts.Append(3).Append(4 + json.Length - 1).Where(n => n < 4 + json.Length))
            {
                var partial = new SequenceReader<byte>(SequenceFactory.Split(frame[..cut], c.cuts));
                Assert.False(FrameCodec.TryReadHeader(ref partial, FrameCodec.DefaultMaxHeaderBytes, out _));
                Assert.Equal(0, partial.Consumed);
            }
            return true;
        }).Check(s_config);
    }

    [Fact]
    public void RandomAndMutatedFramesFailOnlyWithProtocolErrors()
    {
        var seeds = Gen.OneOf(
            s_envelope.Select(e => RawFrames.Frame(EnvelopeJson(e), new byte[e.Size])),
            s_envelope.Select(EnvelopeJson));
        var inputs = Gen.OneOf(
            s_randomBytes,
            from seed in seeds from mutated in Mutated(seed) select mutated,
            from seed in seeds from mutated in Mutated(seed) select mutated);
        Prop.ForAll(Arb.From(from step in Gen.Choose(0, 255) from data in inputs select Prepend((byte)step, data)),
            data =>
            {
                FuzzTargets.Frame(data);
                return true;
            }).Check(s_config.WithMaxTest(1000));
    }

    // ---- what a chat server reads back from Redis ----

    [Fact]
    public void MutatedRedisNoticesEntriesAndPresenceValuesAreCheckedNeverThrown()
    {
        var seeds = Directory.EnumerateFiles(RepoPaths.Of("fuzz", "seeds", "redis")).Select(File.ReadAllBytes).ToArray();
        Assert.NotEmpty(seeds);
        var inputs = Gen.OneOf(
            s_randomBytes,
            from seed in Gen.Elements(seeds) from mutated in Mutated(seed) select mutated,
            from seed in Gen.Elements(seeds) from mutated in Mutated(seed) select mutated);
        Prop.ForAll(Arb.From(inputs), data =>
        {
            FuzzTargets.RedisWire(data);
            return true;
        }).Check(s_config.WithMaxTest(2000));
    }

    [Fact]
    public void TheRedisSeedsAreAccepted()
    {
        // The fuzz above mutates these; each must parse, or its mutations never reach past the first check.
        var options = new Ferry.Services.Chat.ChatOptions { MaxTextBytes = 512 };
        static byte[] Seed(string name) => File.ReadAllBytes(RepoPaths.Of("fuzz", "seeds", "redis", name))[1..];
        Assert.NotNull(Ferry.Services.Chat.Redis.RedisChatWire.ParsePublished(Seed("notice"), options));
        Assert.NotNull(Ferry.Services.Chat.Redis.RedisChatWire.ParsePublished(Seed("presence"), options)?.Presence);
        Assert.NotNull(Ferry.Services.Chat.Redis.RedisChatWire.ParsePublished(Seed("nick"), options)?.Presence);
        var entry = Seed("entry");
        int newline = Array.IndexOf(entry, (byte)'\n');
        Assert.NotNull(Ferry.Services.Chat.Redis.RedisChatWire.ParseEntry(Encoding.UTF8.GetString(entry, 0, newline), entry.AsSpan(newline + 1), options));
        Assert.NotNull(Ferry.Services.Chat.Redis.RedisChatWire.ParsePrivate(Seed("private"), options));
        Assert.Equal((1764777600000L, 1000), Ferry.Services.Chat.Redis.RedisChatWire.ParseBeat(Encoding.UTF8.GetString(Seed("beat"))));
    }

    private static byte[] Prepend(byte first, byte[] rest) => [first, .. rest];

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(FrameCodec.DefaultMaxHeaderBytes + 1)]
    public void AHugeClaimedLengthIsRefusedBeforeAnyBufferIsAllocated(int length)
    {
        var prefix = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(prefix, length);
        Assert.Throws<ProtocolException>(() => ReadOnce(prefix)); // warm the code paths (JIT, static tables) so the measurement is of one call
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ProtocolException>(() => ReadOnce(prefix));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(ProtocolError.BadHeaderLength, ex.Error);
        Assert.True(allocated < 4096, $"refusing a {length}-byte claim allocated {allocated} bytes");
    }

    private static void ReadOnce(byte[] bytes)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        FrameCodec.TryReadHeader(ref reader, FrameCodec.DefaultMaxHeaderBytes, out _);
    }

    [Fact]
    public void ParsingAnyHeaderAllocatesBoundedByItsLength()
    {
        var inputs = from seed in s_envelope.Select(EnvelopeJson)
                     from mutated in Mutated(seed)
                     from cuts in Gen.ListOf(Gen.Choose(1, 2000))
                     select (json: mutated, cuts: cuts.ToArray());
        Prop.ForAll(Arb.From(inputs), c =>
        {
            var frame = RawFrames.Frame(c.json);
            var sequence = SequenceFactory.Split(frame, c.cuts);
            Parse(sequence); // once to warm up the paths this input takes (JIT, pooled buffers), then measured
            long before = GC.GetAllocatedBytesForCurrentThread();
            Parse(sequence);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // At most a contiguous copy of a split header (pooled), the type string, an exception and its message.
            long bound = 2L * frame.Length + 16 * 1024;
            Assert.True(allocated <= bound, $"{allocated} bytes allocated for a {frame.Length}-byte frame: {Encoding.UTF8.GetString(c.json)}");
            return true;
        }).Check(s_config);
    }

    private static void Parse(ReadOnlySequence<byte> sequence)
    {
        try
        {
            var reader = new SequenceReader<byte>(sequence);
            FrameCodec.TryReadHeader(ref reader, FrameCodec.DefaultMaxHeaderBytes, out _);
        }
        catch (ProtocolException)
        {
        }
    }

    // ---- every message's JSON ----

    [Fact]
    public void EveryContractRefusesHostileFieldsOnlyAsBadRequest()
    {
        var contracts = Gen.Choose(0, FuzzTargets.Contracts.Count - 1);
        var cases = from index in contracts
                    let contract = FuzzTargets.Contracts[index]
                    let names = contract.TypeInfo.Properties.Select(p => p.Name).Concat(["type", "id", "size", "Path", "extra"]).ToArray()
                    from fields in Gen.ListOf(Gen.Zip(Gen.Elements(names), JsonValue(3)))
                    select (index, json: "{\"type\":\"" + contract.Message.Split(' ')[0] + "\",\"id\":5" +
                        string.Concat(fields.Take(10).Where(f => f.Item1 is not ("type" or "id" or "size")).Select(f => $",\"{f.Item1}\":{f.Item2}")) + "}");
        Prop.ForAll(Arb.From(cases), c =>
        {
            var (message, typeInfo) = FuzzTargets.Contracts[c.index];
            var header = FrameCodec.ParseHeader(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(c.json)));
            FuzzTargets.ReadContract(header, typeInfo, message);
            return true;
        }).Check(s_config.WithMaxTest(1500));
    }

    [Fact]
    public void MutatedContractJsonFailsOnlyAsDocumented()
    {
        var cases = from index in Gen.Choose(0, FuzzTargets.Contracts.Count - 1)
                    let names = FuzzTargets.Contracts[index].TypeInfo.Properties.Select(p => p.Name).ToArray()
                    from values in Gen.ListOf(JsonValue(1))
                    let json = "{\"type\":\"x\"" + string.Concat(names.Zip(values).Select(p => $",\"{p.First}\":{p.Second}")) + "}"
                    from mutated in Mutated(Encoding.UTF8.GetBytes(json))
                    select Prepend((byte)index, mutated);
        Prop.ForAll(Arb.From(cases), data =>
        {
            FuzzTargets.Json(data);
            return true;
        }).Check(s_config.WithMaxTest(1000));
    }

    // ---- SCRAM (auth.scram.start / auth.scram.final) ----

    [Fact]
    public void HostileScramMessagesAreRefusedOnlyWithScramErrors()
    {
        var value = Gen.OneOf(Gen.Elements("", "fuzz", "nobody", "=3D", "=2C", "=", "=4", "=ZZ", "a,b", "12345678", "AAAA", "x="),
            ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get));
        var attribute = from name in Gen.Elements('n', 'r', 'm', 'c', 'p', 'a', 'x', '1', '=')
                        from v in value
                        select $"{name}={v}";
        var first = from flag in Gen.Elements("n", "y", "p=tls-server-end-point", "p=other", "", "n,a=x")
                    from attributes in Gen.ListOf(attribute)
                    from nonce in Gen.OneOf(Gen.Constant("clientnonce1"), value)
                    select $"{flag},,n=fuzz,r={nonce}" + string.Concat(attributes.Take(4).Select(a => "," + a));
        var final = from channel in Gen.Elements("biws", "eSws", "cD10bHMtc2VydmVyLWVuZC1wb2ludCws", "", "!!")
                    from nonce in Gen.OneOf(Gen.Constant("clientnonce1SERVERNONCE"), value)
                    from proof in Gen.OneOf(Gen.Constant(Convert.ToBase64String(new byte[32])), value,
                        ArbMap.Default.GeneratorFor<byte[]>().Select(b => Convert.ToBase64String(b ?? [])))
                    from extra in Gen.ListOf(attribute)
                    select $"c={channel},r={nonce}" + string.Concat(extra.Take(2).Select(a => "," + a)) + $",p={proof}";
        var inputs = from tls in Gen.Elements<byte>(0, 1)
                     from f in first
                     from g in final
                     from raw in Gen.Elements(false, false, true)
                     from noise in value
                     select Prepend(tls, Encoding.UTF8.GetBytes(raw ? noise : f + "\n" + g));
        Prop.ForAll(Arb.From(inputs), data =>
        {
            FuzzTargets.Scram(data);
            return true;
        }).Check(s_config.WithMaxTest(1000));
    }

    // ---- SNTP ----

    [Fact]
    public void AnyDatagramReadsAsAnSntpHeaderOrNotWithoutThrowingAndRoundTrips()
    {
        var inputs = Gen.OneOf(
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 48),
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 48),
            s_randomBytes,
            Gen.Choose(0, 100).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n)));
        Prop.ForAll(Arb.From(inputs), data =>
        {
            FuzzTargets.Sntp(data);
            return true;
        }).Check(s_config.WithMaxTest(2000));
    }

    // ---- UDP chat ----

    [Fact]
    public void SignedHostileChatDatagramsDecodeOrAreRefusedWithAReason()
    {
        var field = from name in Gen.Elements("v", "dir", "kind", "room", "nick", "text", "ts", "nonce", "mac", "x")
                    from v in Gen.OneOf(JsonValue(2), Gen.Elements("1", "\"say\"", "\"deck\"", "\"ann\"", "\"AAAA\"", "\"up\"", "\"down\""))
                    select $"\"{name}\":{v}";
        var objects = Gen.ListOf(field).Select(fields => "{\"v\":1,\"dir\":\"up\",\"kind\":\"say\",\"room\":\"deck\",\"nick\":\"ann\",\"ts\":1,\"nonce\":\"n\"" +
            string.Concat(fields.Take(6).Select(f => "," + f)) + "}");
        var inputs = Gen.OneOf(
            objects.Select(Encoding.UTF8.GetBytes),
            from o in objects from m in Mutated(FuzzTargets.Sign(Encoding.UTF8.GetBytes(o))) select m,
            from o in objects from m in Mutated(Encoding.UTF8.GetBytes(o)) select m,
            s_randomBytes);
        Prop.ForAll(Arb.From(inputs), data =>
        {
            FuzzTargets.UdpChat(data);
            return true;
        }).Check(s_config.WithMaxTest(1000));
    }

    [Fact]
    public void ASignedWellFormedChatDatagramDecodes()
    {
        // The fuzz above signs what it sends; this shows the signing is right, so its inputs do reach the JSON.
        var packet = UdpChatPacket.Create("say", "deck", "ann", "hello");
        var unsigned = Encoding.UTF8.GetBytes($$"""{"v":1,"dir":"up","kind":"say","room":"deck","nick":"ann","text":"hello","ts":{{packet.Timestamp}},"nonce":"{{packet.Nonce}}"}""");
        Assert.True(UdpChatPacket.TryDecode(FuzzTargets.Sign(unsigned), System.Security.Cryptography.SHA256.HashData("fuzz chat key"u8), out var decoded, out var error), error);
        Assert.Equal(packet, decoded);
    }

    // ---- remote paths (file requests) ----

    private static readonly Gen<string> s_pathPart = Gen.OneOf(
        Gen.Elements("a", "b.txt", "..", ".", "", "CON", "nul.txt", "com1", "a:b", "x ", "x.", "\\", "\0", "\u0001", "\u007f", "é",
            "\ud800", "\udfff", "C:", "c:x", "~", "$HOME", "%2e%2e", "\u2024\u2024", "..\u00a0", new string('n', 256), new string('é', 128)),
        ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get));

    [Fact]
    public void AnyRemotePathIsRefusedAsBadPathOrStaysInsideTheRoot()
    {
        var paths = from lead in Gen.Elements("", "/", "./", "//")
                    from parts in Gen.ListOf(s_pathPart)
                    select lead + string.Join("/", parts.Take(8));
        Prop.ForAll(Arb.From(paths), path =>
        {
            byte[] utf16 = [1, .. System.Runtime.InteropServices.MemoryMarshal.AsBytes(path.AsSpan())];
            FuzzTargets.RemotePath(utf16);
            return true;
        }).Check(s_config.WithMaxTest(2000));
    }

    [Fact]
    public void SafeNamesJoinedBySlashesAreAcceptedAsThoseNames()
    {
        var name = from n in Gen.Choose(1, 20)
                   from chars in Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789_-".ToCharArray()), n)
                   select "f" + new string(chars);
        Prop.ForAll(Arb.From(Gen.NonEmptyListOf(name).Select(l => l.Take(10).ToList())), names =>
        {
            Assert.Equal(names, FileSandbox.Validate(string.Join("/", names)));
            Assert.Equal(names, FileSandbox.Validate("./" + string.Join("//", names) + "/"));
            return true;
        }).Check(s_config);
    }
}
