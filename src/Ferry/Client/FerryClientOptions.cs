using Ferry.Security;

namespace Ferry.Client;

/// <summary>How a <see cref="FerryClient"/> connects and authenticates.</summary>
public sealed class FerryClientOptions
{
    /// <summary>Options for connecting to <paramref name="target"/>; everything else has a default.</summary>
    public FerryClientOptions(FerryTarget target) => Target = target;

    /// <summary>Where to connect.</summary>
    public FerryTarget Target { get; set; }

    /// <summary>Connect without TLS (the server must be started with <c>--plaintext</c> too).</summary>
    public bool Plaintext { get; set; }

    /// <summary>
    /// The client's state folder (<c>$FERRY_HOME</c> or <c>~/.ferry</c>): <c>known_hosts</c>, the default key, and the
    /// certificate of a server run from the same folder (trusted on loopback without asking).
    /// </summary>
    public string StateDirectory { get; set; } = StateFolder.Default();

    /// <summary>The shared key file; null means <c>$FERRY_KEY_FILE</c>, else <c>key</c> in <see cref="StateDirectory"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Log in as this user with SCRAM-SHA-256 instead of the shared key.</summary>
    public string? User { get; set; }

    /// <summary>The password for <see cref="User"/>. It never crosses the wire.</summary>
    public string? Password { get; set; }

    /// <summary>Trust exactly this certificate fingerprint (<c>SHA256:hex</c>), bypassing known_hosts.</summary>
    public string? ServerFingerprint { get; set; }

    /// <summary>Remember a server seen for the first time without asking (ssh's <c>accept-new</c>).</summary>
    public bool AcceptNewHost { get; set; }

    /// <summary>
    /// Asked about a server seen for the first time: (host, fingerprint) → trust it? Null (no terminal) refuses.
    /// A changed fingerprint is refused without asking.
    /// </summary>
    public Func<string, string, bool>? ConfirmNewHost { get; set; }

    /// <summary>How long connecting plus the handshake may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The default deadline for one request/response exchange; <see cref="Timeout.InfiniteTimeSpan"/> for none.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the client waits for a best-effort frame it sends on the way out (a cancel for a request it gave up on)
    /// before it stops trying: the connection is usually failing when it matters.
    /// </summary>
    public TimeSpan CloseGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a cancelled command waits for the server to confirm the process is gone (its exit frame).</summary>
    public TimeSpan CancelConfirmTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock behind every timeout above and the connection's own (tests drive it with a fake one).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Name and version sent in hello, for the server's logs.</summary>
    public string ClientName { get; set; } = "ferry/" + (typeof(FerryClientOptions).Assembly.GetName().Version?.ToString(3) ?? "0");

    /// <summary>PBKDF2 results by (password, salt, iterations), so repeated logins skip the slow derivation (RFC 5802 §5.1).</summary>
    internal System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> SaltedPasswords { get; } = new(StringComparer.Ordinal);

    /// <summary>The key file to use, or null when none is configured and the default one does not exist.</summary>
    internal string? ResolveKeyFile()
    {
        if (!string.IsNullOrEmpty(KeyFile)) return KeyFile;
        var fromEnvironment = Environment.GetEnvironmentVariable("FERRY_KEY_FILE");
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return fromEnvironment;
        var inState = Path.Combine(StateDirectory, StateFolder.KeyFileName);
        return File.Exists(inState) ? inState : null;
    }
}
