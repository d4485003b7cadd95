namespace Ferry.Server.Authentication;

/// <summary>Limits on the way in: unauthenticated connection caps and the slow-down for failed logins.</summary>
public sealed class AuthenticationOptions
{
    /// <summary>Connections from one address that may be between accept and authenticated at once.</summary>
    public int MaxUnauthenticatedPerAddress { get; set; } = 64;

    /// <summary>Connections that may be between accept and authenticated at once, in all.</summary>
    public int MaxUnauthenticated { get; set; } = 512;

    /// <summary>The wait before answering the first recent failed login from an address; doubles with each further one.</summary>
    public TimeSpan FailureDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait before answering a failed login (kept below the handshake timeout).</summary>
    public TimeSpan MaxFailureDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an address's failures are remembered after its last one.</summary>
    public TimeSpan ForgetFailuresAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The iteration count unknown users appear to have, so the challenge does not give them away.</summary>
    public int ScramIterations { get; set; } = Security.Scram.ScramSha256.DefaultIterations;
}
