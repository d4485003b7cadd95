using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Ferry.Cli.Infrastructure;
using Ferry.Hosting;
using Ferry.Server;
using Microsoft.Extensions.Logging;

namespace Ferry.Cli.Commands.Serve;

/// <summary><c>ferry serve</c>: run the server until Ctrl+C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create(CliContext cli)
    {
        var listen = new Option<string[]>("--listen", "-l")
        {
            Description = "Address to listen on, HOST:PORT (repeatable). Default 127.0.0.1:7070; port 0 picks a free one",
            AllowMultipleArgumentsPerToken = false,
        };
        var unix = new Option<string[]>("--unix") { Description = "Also listen on a Unix domain socket at PATH (repeatable)" };
        var data = new Option<string?>("--data") { Description = "State folder (keys, certificate, users, files). Default $FERRY_HOME or ~/.ferry" };
        var plaintext = CommonOptions.Plaintext();
        plaintext.Description = "Serve without TLS (for loopback demos and benchmarks)";
        var shutdown = new Option<double>("--shutdown-timeout")
        {
            Description = "Seconds graceful shutdown waits for running requests before closing connections" + Durations.Hint,
            CustomParser = Durations.ParseSeconds,
            DefaultValueFactory = _ => 10,
        };

        var json = CommonOptions.Json();
        json.Description = "Print the start-up report (listeners, modes, file root) as one JSON line on stdout; logs stay on stderr";
        var command = new Command("serve", "Run a Ferry server (127.0.0.1:7070 by default; state in ~/.ferry)")
        {
            listen, unix, data, plaintext, shutdown, json,
        };
        // Each feature owns its serve flags; add a feature's group here.
        IServeOptionGroup[] groups =
        [
            new EchoServeOptions(),
            new NtpServeOptions(),
            new ExecServeOptions(),
            new ForwardServeOptions(),
            new ChatServeOptions(),
            new SecurityServeOptions(),
            new FilesServeOptions(),
            new WebServeOptions(),
        ];
        foreach (var group in groups) group.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var options = new FerryHostOptions();
            var server = options.Server;
            server.Plaintext = result.GetValue(plaintext);
            server.ShutdownTimeout = TimeSpan.FromSeconds(result.GetValue(shutdown));
            server.DataDirectory = Path.GetFullPath(result.GetValue(data) ?? FerryPaths.DefaultHome());
            var listens = result.GetValue(listen) ?? [];
            foreach (var text in listens.Length == 0 ? ["127.0.0.1:7070"] : listens)
            {
                server.Endpoints.Add(EndPointParser.Parse(text, IPAddress.Loopback, "--listen"));
            }
            foreach (var path in result.GetValue(unix) ?? []) server.Endpoints.Add(new UnixDomainSocketEndPoint(Path.GetFullPath(path)));
            foreach (var group in groups) group.Apply(result, options);

            FerryPaths.EnsureDirectory(server.DataDirectory);
            bool verbose = result.GetValue(CommonOptions.Verbose);
            return await RunAsync(cli, options, verbose, result.GetValue(json), ct).ConfigureAwait(false);
        });
        return command;
    }

    internal static async Task<int> RunAsync(CliContext cli, FerryHostOptions options, bool verbose, bool json, CancellationToken ct)
    {
        await using var server = FerryHost.Build(options, logging => logging
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                // With -v each line says which connection (id, address, user) it is about.
                o.IncludeScopes = verbose;
            })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddFilter("Microsoft", verbose ? LogLevel.Information : LogLevel.Warning)
            // Start-up failures (a busy port) reach the user as one line through the CLI's error path.
            .AddFilter("Microsoft.Extensions.Hosting", verbose ? LogLevel.Information : LogLevel.None)
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information));
        try
        {
            await server.StartAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (BusyAddress(ex) is { } busy)
        {
            throw new InvalidOperationException(DescribeBusy(options, busy.Protocol, busy.Address), ex);
        }

        ServeBanner.Write(cli, ServeBanner.Describe(server, options), json);

        try
        {
            await server.WaitForShutdownAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C through the command line's token: fall through to the graceful stop.
        }
        cli.Error.WriteLine("ferry serve: stopping (finishing running requests)...");
        await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
        cli.Error.WriteLine("ferry serve: stopped");
        return ExitCodes.Ok;
    }

    // The UDP services say "cannot listen on udp 127.0.0.1:123: address already in use"; Kestrel (the main and TCP echo
    // ports) "Failed to bind to address http://127.0.0.1:7070: address already in use."
    private static (string Protocol, string Address)? BusyAddress(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is not IOException) continue;
            var busy = System.Text.RegularExpressions.Regex.Match(e.Message,
                @"(?:listen on (?<proto>udp) |bind to address (?:\w+://)?)(?<address>\S+?):? address already in use",
                System.Text.RegularExpressions.RegexOptions.IgnoreCase);
            if (busy.Success) return (busy.Groups["proto"].Success ? "udp" : "tcp", busy.Groups["address"].Value);
        }
        return null;
    }

    // Names the option that asked for the busy address, so the user knows which one to change.
    private static string DescribeBusy(FerryHostOptions options, string protocol, string address)
    {
        bool Is(EndPoint? endPoint) => endPoint is not null && string.Equals(ServeBanner.Describe(endPoint), address, StringComparison.OrdinalIgnoreCase);
        string option = protocol == "udp"
            ? Is(options.Ntp?.EndPoint) ? "--ntp" : Is(options.UdpEcho) ? "--udp-echo" : Is(options.UdpChat.EndPoint) ? "--udp-chat" : "its option"
            : Is(options.TcpEcho) ? "--tcp-echo" : "--listen";
        return $"cannot listen on {protocol} {address} ({option}): the address is already in use (another server?); stop it or give {option} another port";
    }
}
