using Ferry.Client;

namespace Ferry.Cli.Commands.Chat;

/// <summary>What the chat front ends need from a chat, over TCP rooms or the UDP relay.</summary>
internal interface IChatLink : IAsyncDisposable
{
    /// <summary>A line saying where we are, for the start of an interactive session.</summary>
    string Greeting { get; }

    /// <summary>Whether our own messages come back as events (TCP rooms) or must be shown locally (UDP relay).</summary>
    bool EchoesOwnMessages { get; }

    /// <summary>Our nick, for showing our own messages locally.</summary>
    string Nick { get; }

    IAsyncEnumerable<ChatEvent> ReadEventsAsync(CancellationToken cancellationToken);

    Task SayAsync(string text, CancellationToken cancellationToken);

    /// <summary>Runs a <c>/command</c>; returns lines to show, or null for <c>/quit</c>.</summary>
    Task<IReadOnlyList<string>?> RunCommandAsync(string name, string argument, CancellationToken cancellationToken);
}
