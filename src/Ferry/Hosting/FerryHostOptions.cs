using System.Net;
using Ferry.Datagrams;
using Ferry.Server;
using Ferry.Contracts.Exec;
using Ferry.Services.Exec;

namespace Ferry.Hosting;

/// <summary>Everything <c>ferry serve</c> can switch on: the framed server plus the side listeners.</summary>
public sealed class FerryHostOptions
{
    /// <summary>The framed server's own settings.</summary>
    public FerryServerOptions Server { get; set; } = new();

    /// <summary>Raw TCP echo endpoint (<c>--tcp-echo</c>); null for off.</summary>
    public EndPoint? TcpEcho { get; set; }

    /// <summary>Raw UDP echo endpoint (<c>--udp-echo</c>); null for off.</summary>
    public IPEndPoint? UdpEcho { get; set; }

    /// <summary>The largest datagram the UDP echo answers; larger ones get an error reply.</summary>
    public int UdpEchoMaxDatagram { get; set; } = 65507;

    /// <summary>The SNTP server (<c>--ntp</c>); null for off.</summary>
    public SntpServerOptions? Ntp { get; set; }
    /// <summary>Remote command execution (<c>--allow-exec</c>, <c>--exec-dir</c>, <c>--max-exec</c>, ...); off by default.</summary>
    public ExecOptions Exec { get; set; } = new();
    /// <summary>Chat limits (history, message size, per-member send queue).</summary>
    public Services.Chat.ChatOptions Chat { get; set; } = new();

    /// <summary>
    /// Where the chat's shared state lives when not in this process: set by Ferry.Redis (<c>UseRedisChat</c>, for
    /// <c>--chat-redis</c>) to a factory that builds its hub and registers what the hub needs. Null (the default) keeps
    /// the chat in this process.
    /// </summary>
    internal Func<FerryServerBuilder, Services.Chat.IChatHub>? ChatBackplane { get; set; }

    /// <summary>What the chat is shared through (e.g. "Redis at redis://host:6379", password hidden); null: this process only.</summary>
    public string? ChatSharedThrough { get; internal set; }

    /// <summary>UDP chat relay (<c>--udp-chat</c>); its <see cref="Datagrams.UdpChatOptions.EndPoint"/> is null for off.</summary>
    public Datagrams.UdpChatOptions UdpChat { get; set; } = new();
    /// <summary>
    /// The server's one clock: <see cref="FerryServerOptions.Time"/> of <see cref="Server"/> (connection and request
    /// timeouts) and the expiries that outlive a request (chat rooms); tests pass a fake one.
    /// </summary>
    public TimeProvider Time
    {
        get => Server.Time;
        set => Server.Time = value;
    }

    /// <summary>TCP port forwarding (<c>--allow-forward</c>, <c>--forward-to</c>, <c>--forward-gateway</c>); off by default.</summary>
    public Services.Forward.ForwardOptions Forward { get; set; } = new();

    /// <summary>The file service (<c>--root</c>).</summary>
    public Services.Files.FilesOptions Files { get; set; } = new();
}
