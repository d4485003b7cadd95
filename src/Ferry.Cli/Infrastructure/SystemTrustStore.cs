using System.Runtime.InteropServices;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// Keeps the runtime from reading the system's CA certificates, which a Ferry client never uses: trust is decided
/// by fingerprint (known_hosts, --fingerprint, the own server's certificate), never by a CA. SslStream still builds a
/// chain before its validation callback runs, and on Linux the first chain loads every file in /etc/ssl/certs:
/// ~100 ms of a fresh 'ferry exec' on a small machine, more than the runtime, TLS and the login together
/// (docs/performance.md). OpenSSL's SSL_CERT_FILE and SSL_CERT_DIR name where that store lives; pointing them at
/// nothing, in this process's native environment only, makes the load free. The runtime's managed copy of the
/// environment, which child processes inherit, is not touched.
/// </summary>
internal static class SystemTrustStore
{
    private static int s_skipped;

    public static void SkipLoading()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref s_skipped, 1) == 1) return;
        // The runtime copies the native environment into its managed one on first use; make that happen before the
        // change, so Environment and every child process keep seeing the user's own values.
        _ = Environment.GetEnvironmentVariables();
        _ = setenv("SSL_CERT_FILE", "/dev/null", 1);
        _ = setenv("SSL_CERT_DIR", "", 1);
    }

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
