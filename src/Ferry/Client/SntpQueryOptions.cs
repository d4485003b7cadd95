namespace Ferry.Client;

/// <summary>How <see cref="SntpClient"/> asks an NTP server for the time.</summary>
public sealed record SntpQueryOptions(string Host, int Port = SntpQueryOptions.DefaultPort)
{
    /// <summary>The NTP port.</summary>
    public const int DefaultPort = 123;

    /// <summary>Exchanges to make; the one with the least round-trip delay is the most accurate and is kept.</summary>
    public int Samples { get; init; } = 4;

    /// <summary>How long to wait for each reply.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests sent for one sample before it counts as lost (1 = no retry).</summary>
    public int Attempts { get; init; } = 3;

    /// <summary>Pause between samples; public servers rate-limit clients that ask faster than every second or two.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>NTP version to ask with (3 or 4); servers answer with the same.</summary>
    public int Version { get; init; } = 4;

    /// <summary>The local clock (the system's, unless a test shifts it).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
