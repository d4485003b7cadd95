using System.Text.Json;
using Ferry.Security.SharedKey;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Security;

/// <summary>The shared-key handshake done by hand over a raw stream, so tests can replay or tamper with it.</summary>
internal static class RawHandshake
{
    public static async Task<string> HelloAsync(Stream stream)
    {
        await stream.WriteAsync(RawFrames.Hello);
        return (await RawFrames.ReadFrameAsync(stream))!.Value.Header;
    }

    /// <summary>Sends auth.key.start and returns the server nonce.</summary>
    public static async Task<byte[]> StartKeyAsync(Stream stream)
    {
        await stream.WriteAsync(RawFrames.Frame("""{"type":"auth.key.start","id":2}"""));
        var header = (await RawFrames.ReadFrameAsync(stream))!.Value.Header;
        using var doc = JsonDocument.Parse(header);
        Assert.Equal("auth.key.challenge", doc.RootElement.GetProperty("type").GetString());
        return Convert.FromBase64String(doc.RootElement.GetProperty("nonce").GetString()!);
    }

    public static byte[] ProofFrame(byte[] clientNonce, byte[] proof) => RawFrames.Frame(
        $$"""{"type":"auth.key.proof","id":3,"nonce":"{{Convert.ToBase64String(clientNonce)}}","proof":"{{Convert.ToBase64String(proof)}}"}""");

    public static byte[] ChannelBinding(TestServer server) => server.Options.Server.Plaintext
        ? []
        : Convert.FromHexString(server.Server.CertificateFingerprint!["SHA256:".Length..]);

    public static byte[] Key(TestServer server) => SharedKeyFile.Load(server.KeyFile);

    /// <summary>The code of an error frame, or the type of any other frame.</summary>
    public static string CodeOrType(string header)
    {
        using var doc = JsonDocument.Parse(header);
        return doc.RootElement.TryGetProperty("code", out var code) ? code.GetString()! : doc.RootElement.GetProperty("type").GetString()!;
    }

    public static string Message(string header)
    {
        using var doc = JsonDocument.Parse(header);
        return doc.RootElement.TryGetProperty("message", out var message) ? message.GetString()! : "";
    }

    /// <summary>True when the stream ends (or is reset) within the timeout, without any further frame.</summary>
    public static async Task<bool> ClosesAsync(Stream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0) return true;
            }
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public static byte[] NewNonce() => System.Security.Cryptography.RandomNumberGenerator.GetBytes(KeyProof.NonceBytes);
}
