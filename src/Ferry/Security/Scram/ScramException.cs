namespace Ferry.Security.Scram;

/// <summary>A SCRAM exchange failed; the message says why, without secrets.</summary>
internal sealed class ScramException : Exception
{
    public ScramException(string message, bool authenticationFailed = false) : base(message) => AuthenticationFailed = authenticationFailed;

    public ScramException()
    {
    }

    public ScramException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>True for a wrong password or unknown user; false for a malformed message.</summary>
    public bool AuthenticationFailed { get; }
}
