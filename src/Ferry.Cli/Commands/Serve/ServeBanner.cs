using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Datagrams;
using Ferry.Hosting;
using Ferry.Server;

namespace Ferry.Cli.Commands.Serve;

/// <summary>
/// What a started <c>ferry serve</c> runs: every listener (with its real port when 0 was asked for), TLS or plaintext,
/// exec on or off, the file root, chat, NTP, UDP and raw echo. Printed as text for people, or with <c>--json</c> as
/// one JSON line (docs/cli-json.md) so a script can read the ports.
/// </summary>
internal static class ServeBanner
{
    public static ServeReport Describe(FerryServer server, FerryHostOptions options)
    {
        var o = options.Server;
        var exec = options.Exec;
        return new ServeReport(
            Listening: [.. server.Endpoints.Select(Describe)],
            Tls: !o.Plaintext,
            StateFolder: o.DataDirectory,
            CertificateFingerprint: server.CertificateFingerprint,
            KeyFile: Path.Combine(o.DataDirectory, Security.StateFolder.KeyFileName),
            Exec: new ServeExecReport(exec.Enabled, exec.Enabled ? Path.GetFullPath(exec.Directory ?? Path.Combine(o.DataDirectory, "home")) : null,
                exec.MaxConcurrent, exec.MaxPerConnection, exec.MaxDuration?.TotalSeconds),
            Forward: new ServeForwardReport(options.Forward.Enabled, options.Forward.Enabled ? options.Forward.Destinations.Description : null,
                options.Forward.AllowAnyBindAddress),
            Files: new ServeFilesReport(Path.GetFullPath(options.Files.Root ?? Path.Combine(o.DataDirectory, "files"))),
            Chat: new ServeChatReport(options.Chat.HistorySize, options.Chat.MaxTextBytes,
                options.ChatSharedThrough),
            Ntp: Service<SntpServer>(server)?.LocalEndPoint.ToString(),
            UdpChat: Service<UdpChatRelay>(server)?.LocalEndPoint.ToString(),
            TcpEcho: server.ExtraEndPoint("tcp-echo") is { } tcp ? Describe(tcp) : null,
            UdpEcho: Service<UdpEchoListener>(server)?.LocalEndPoint.ToString(),
            Web: server.WebUrl?.ToString(),
            Pid: Environment.ProcessId,
            StartedAt: UtcTimestampConverter.Text(DateTimeOffset.UtcNow));
    }

    public static void Write(CliContext cli, ServeReport r, bool json)
    {
        if (json)
        {
            cli.Out.WriteLine(JsonSerializer.Serialize(r, ServeJsonContext.Relaxed.ServeReport));
            cli.Out.Flush();
            return;
        }
        var off = "off";
        cli.Out.WriteLine($"ferry serve: listening on {string.Join(", ", r.Listening)} ({(r.Tls ? "TLS" : "plaintext, no TLS")})");
        cli.Out.WriteLine($"  state folder: {r.StateFolder}");
        if (r.CertificateFingerprint is { } fingerprint) cli.Out.WriteLine($"  certificate:  {fingerprint}");
        cli.Out.WriteLine($"  shared key:   {r.KeyFile} (clients on this machine use it; 'ferry key show' to copy it)");
        cli.Out.WriteLine(r.Exec.Enabled
            ? $"  exec:         on, as {Environment.UserName}, in {r.Exec.Directory}; at most {r.Exec.MaxConcurrent} at once ({r.Exec.MaxPerConnection} per connection)" +
              (r.Exec.TimeoutSeconds is { } t ? $", {t:0.###} s each" : ", no time limit")
            : "  exec:         off (--allow-exec turns it on)");
        cli.Out.WriteLine(r.Forward.Enabled
            ? $"  forwarding:   on, to {r.Forward.To}; -R binds {(r.Forward.AnyBindAddress ? "any address (--forward-gateway)" : "loopback only")}"
            : "  forwarding:   off (--allow-forward turns it on)");
        cli.Out.WriteLine($"  files:        root {r.Files.Root}");
        cli.Out.WriteLine($"  chat:         on the main port (history {r.Chat.History}, messages up to {r.Chat.MaxTextBytes} B)" +
            (r.Chat.SharedThrough is { } shared ? $", shared through {shared}" : ", in this process (--chat-redis shares it)"));
        cli.Out.WriteLine($"  NTP (SNTP):   {(r.Ntp is { } ntp ? "udp " + ntp : off + " (--ntp PORT)")}");
        cli.Out.WriteLine($"  UDP chat:     {(r.UdpChat is { } udpChat ? "udp " + udpChat : off + " (--udp-chat PORT)")}");
        cli.Out.WriteLine($"  web page:     {r.Web ?? off + " (--web PORT)"}");
        cli.Out.WriteLine($"  raw TCP echo: {r.TcpEcho ?? off + " (--tcp-echo PORT)"}");
        cli.Out.WriteLine($"  raw UDP echo: {(r.UdpEcho is { } udpEcho ? "udp " + udpEcho : off + " (--udp-echo PORT)")}");
        cli.Out.WriteLine("Press Ctrl+C to stop.");
        cli.Out.Flush();
    }

    private static T? Service<T>(FerryServer server) where T : class => server.Services.GetService(typeof(T)) as T;

    internal static string Describe(EndPoint endPoint) => endPoint is UnixDomainSocketEndPoint ? "unix:" + endPoint : endPoint.ToString()!;
}

/// <summary>The start-up line of <c>ferry serve --json</c>; null means off (docs/cli-json.md).</summary>
internal sealed record ServeReport(
    string[] Listening, bool Tls, string StateFolder, string? CertificateFingerprint, string KeyFile, ServeExecReport Exec,
    ServeForwardReport Forward, ServeFilesReport Files, ServeChatReport Chat, string? Ntp, string? UdpChat, string? TcpEcho, string? UdpEcho, string? Web, int Pid, string StartedAt);

internal sealed record ServeExecReport(bool Enabled, string? Directory, int MaxConcurrent, int MaxPerConnection, double? TimeoutSeconds);

internal sealed record ServeForwardReport(bool Enabled, string? To, bool AnyBindAddress);

internal sealed record ServeFilesReport(string Root);

internal sealed record ServeChatReport(int History, int MaxTextBytes, string? SharedThrough = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ServeReport))]
internal sealed partial class ServeJsonContext : JsonSerializerContext
{
    private static ServeJsonContext? s_relaxed;

    // Lazily: the generated Default is set up in another part of this partial class, in no fixed order.
    public static ServeJsonContext Relaxed => s_relaxed ??= new(CliJson.Relaxed(Default));
}
