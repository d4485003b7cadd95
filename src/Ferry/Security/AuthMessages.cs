using System.Text.Json.Serialization;

namespace Ferry.Security;

/// <summary><c>auth.key.challenge</c>: the server's fresh nonce (base64 of 32 bytes).</summary>
internal sealed class KeyChallengeMessage
{
    public string Nonce { get; set; } = "";
}

/// <summary><c>auth.key.proof</c>: the client's fresh nonce and its HMAC proof (both base64).</summary>
internal sealed class KeyProofMessage
{
    public string Nonce { get; set; } = "";

    public string Proof { get; set; } = "";
}

/// <summary><c>auth.scram.*</c>: one SCRAM message, verbatim as RFC 5802 writes it.</summary>
internal sealed class ScramMessage
{
    public string Message { get; set; } = "";
}

/// <summary>
/// <c>auth.ok</c>: who the client now is, and the server's own proof — <c>proof</c> for the key method,
/// <c>message</c> (the SCRAM server-final <c>v=...</c>) for SCRAM. The client checks it before trusting the server.
/// </summary>
public sealed class AuthOkMessage
{
    /// <summary>Who the client is now.</summary>
    public string User { get; set; } = "";

    /// <summary>How it proved it: <c>key</c> or <c>scram</c>.</summary>
    public string Method { get; set; } = "";

    /// <summary>What it may do.</summary>
    public string[] Rights { get; set; } = [];

    /// <summary>The server's proof (key login), checked by the client so it knows the server too.</summary>
    public string? Proof { get; set; }

    /// <summary>A greeting or a note for people.</summary>
    public string? Message { get; set; }
}

/// <summary>Source-generated JSON for the authentication frames.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KeyChallengeMessage))]
[JsonSerializable(typeof(KeyProofMessage))]
[JsonSerializable(typeof(ScramMessage))]
[JsonSerializable(typeof(AuthOkMessage))]
internal sealed partial class AuthJsonContext : JsonSerializerContext
{
}
