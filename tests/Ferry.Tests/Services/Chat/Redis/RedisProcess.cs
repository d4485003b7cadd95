using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ferry.Tests.Infrastructure;
using StackExchange.Redis;

namespace Ferry.Tests.Services.Chat.Redis;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port (found by binding port 0 and closing it: redis cannot take port
/// 0) with a throwaway folder, no persistence. Killed on dispose; <see cref="StopAsync"/> and <see cref="StartAgainAsync"/>
/// take it away and bring it back on the same port.
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private readonly string _directory = TempDirectory.Create("ferry-redis");
    private Process? _process;
    private ConnectionMultiplexer? _admin;

    private readonly bool _persist;

    private RedisProcess(int port, bool persist)
    {
        Port = port;
        _persist = persist;
    }

    public int Port { get; }

    public string Address => $"redis://127.0.0.1:{Port}";

    /// <summary>Starts one; <paramref name="persist"/> keeps an append-only file, so a restart finds the data again.</summary>
    public static async Task<RedisProcess> StartAsync(bool persist = false)
    {
        var redis = new RedisProcess(FreePort(), persist);
        await redis.StartAgainAsync();
        return redis;
    }

    public static string? ServerPath => File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : null;

    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(ServerPath ?? "redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", _persist ? "yes" : "no", "--appendfsync", "always", "--dir", _directory, "--protected-mode", "no" })
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Ready when it accepts a connection (it binds before it logs "Ready").
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), timeout.Token);
                break;
            }
            catch (SocketException) when (!_process.HasExited)
            {
                await Task.Delay(20, timeout.Token);
            }
        }
        if (_process.HasExited) throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}");
    }

    /// <summary>A client of our own, as a third party would use the same Redis.</summary>
    public async Task<IDatabase> AdminAsync()
    {
        _admin ??= await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},allowAdmin=true,abortConnect=false");
        return _admin.GetDatabase();
    }

    public async Task FlushAllAsync()
    {
        var db = await AdminAsync();
        await db.ExecuteAsync("FLUSHALL");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
        await StopAsync();
        TempDirectory.TryDelete(_directory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
