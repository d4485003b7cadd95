using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Ferry.Cli.Infrastructure;
using Ferry.Client;

namespace Ferry.Cli.Commands.Forward;

/// <summary>
/// <c>ferry forward TARGET -L ... -R ... -D ...</c>: TCP port forwarding as <c>ssh -N</c> does it, every forward on the
/// one connection, until Ctrl+C or the connection ends (docs/security.md §9).
/// </summary>
internal static class ForwardCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory(cli);
        var local = new Option<string[]>("--local", "-L")
        {
            Description = "[BIND:]PORT:HOST:HOSTPORT: listen here on BIND:PORT (default 127.0.0.1) and connect each connection to HOST:HOSTPORT " +
                "from the server, as ssh -L (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var remote = new Option<string[]>("--remote", "-R")
        {
            Description = "[BIND:]PORT:HOST:HOSTPORT: listen on the server on BIND:PORT (default its loopback; PORT 0 picks one) and connect each " +
                "connection to HOST:HOSTPORT from here, as ssh -R (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var dynamic = new Option<string[]>("--dynamic", "-D")
        {
            Description = "[BIND:]PORT: a SOCKS5 proxy here (CONNECT, no authentication) whose connections the server makes, as ssh -D (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("forward",
            "Forward TCP ports through a server (started with --allow-forward), as ssh -N -L/-R/-D: every connection is a stream on the " +
            "one Ferry connection. Runs until Ctrl+C.\n" +
            "Example: ferry forward host -L 8080:localhost:80 -R 9000:localhost:3000 -D 1080");
        connect.AddTo(command);
        command.Add(local);
        command.Add(remote);
        command.Add(dynamic);
        command.SetAction(async (result, ct) =>
        {
            var specs = (result.GetValue(local) ?? []).Select(t => ForwardSpec.Parse(ForwardKind.Local, t))
                .Concat((result.GetValue(remote) ?? []).Select(t => ForwardSpec.Parse(ForwardKind.Remote, t)))
                .Concat((result.GetValue(dynamic) ?? []).Select(t => ForwardSpec.Parse(ForwardKind.Dynamic, t)))
                .ToList();
            if (specs.Count == 0) throw new CliUsageException("nothing to forward: give -L, -R or -D (e.g. -L 8080:localhost:80)");
            var target = result.GetValue(connect.Target)!;
            return await RunAsync(cli, connect, result, target, specs, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, ClientFactory connect, ParseResult result, string target, List<ForwardSpec> specs,
        CancellationToken ct)
    {
        // Bind every local port before connecting: a port in use is a usage mistake, found before anything is asked of the server.
        var listeners = new List<(ForwardSpec Spec, Socket Socket)>();
        var remotes = new List<(ForwardSpec Spec, RemoteForwardListener Listener)>();
        try
        {
            foreach (var spec in specs.Where(s => s.Kind != ForwardKind.Remote)) listeners.Add((spec, Listen(spec)));
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            foreach (var spec in specs.Where(s => s.Kind == ForwardKind.Remote))
            {
                remotes.Add((spec, await client.ListenRemoteAsync(spec.RemoteBind, spec.Port, ct).ConfigureAwait(false)));
            }
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var running = new List<Task>();
            foreach (var (spec, socket) in listeners)
            {
                var at = socket.LocalEndPoint!.ToString();
                Action<string> problem = line => cli.Error.WriteLine($"ferry: {at} -> {(spec.Kind == ForwardKind.Dynamic ? "SOCKS" : spec.Destination)}: {line}");
                if (spec.Kind == ForwardKind.Local)
                {
                    cli.Out.WriteLine($"forwarding {at} -> {spec.Destination} via {target}");
                    running.Add(client.ForwardLocalAsync(socket, spec.Host!, spec.HostPort, problem, stop.Token));
                }
                else
                {
                    cli.Out.WriteLine($"forwarding {at} -> SOCKS5 (CONNECT to what the server may reach) via {target}");
                    running.Add(client.ForwardSocksAsync(socket, problem, stop.Token));
                }
            }
            foreach (var (spec, listener) in remotes)
            {
                var at = $"{(listener.Address.Contains(':', StringComparison.Ordinal) ? $"[{listener.Address}]" : listener.Address)}:{listener.Port}";
                cli.Out.WriteLine($"forwarding {at} on {target} -> {spec.Destination} from here");
                running.Add(listener.ForwardRemoteAsync(spec.Host!, spec.HostPort, line => cli.Error.WriteLine($"ferry: {at} on {target}: {line}"), stop.Token));
            }
            cli.Out.Flush();
            // Until Ctrl+C, or until the connection (and with it every forward) ends.
            var ended = await Task.WhenAny(Task.WhenAll(running), client.Completion, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (ct.IsCancellationRequested)
            {
                cli.Error.WriteLine("ferry forward: stopped");
                return ExitCodes.Ok;
            }
            var failure = running.FirstOrDefault(t => t.IsFaulted)?.Exception?.InnerException;
            throw failure ?? new Connections.ConnectionClosedException("the connection to the server closed; every forward has stopped", Connections.CloseReason.PeerClosed);
        }
        finally
        {
            foreach (var (_, listener) in remotes) await listener.DisposeAsync().ConfigureAwait(false);
            foreach (var (_, socket) in listeners) socket.Dispose();
        }
    }

    private static Socket Listen(ForwardSpec spec)
    {
        var bind = spec.LocalBind;
        var socket = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(bind, spec.Port));
            socket.Listen(512);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new CliUsageException(ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => $"{(spec.Kind == ForwardKind.Local ? "-L" : "-D")} {spec.Text}: cannot listen on {bind}:{spec.Port}: the port is already in use; pick another",
                SocketError.AccessDenied => $"{(spec.Kind == ForwardKind.Local ? "-L" : "-D")} {spec.Text}: cannot listen on {bind}:{spec.Port}: permission denied (ports below 1024 need root)",
                _ => $"{(spec.Kind == ForwardKind.Local ? "-L" : "-D")} {spec.Text}: cannot listen on {bind}:{spec.Port}: {ex.Message}",
            });
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
