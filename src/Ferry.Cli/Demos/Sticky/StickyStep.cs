namespace Ferry.Cli.Demos.Sticky;

/// <summary>One thing that happened in a demo: a send, a read, a frame delivered.</summary>
/// <param name="Part">The sub-case it belongs to (the fix runs three), or null.</param>
/// <param name="Side">"client" or "server".</param>
/// <param name="Action">What was called: "send", "recv(10)", "socket read", "frame".</param>
/// <param name="Bytes">How many bytes it moved.</param>
/// <param name="Text">The bytes, printable (non-printable bytes as \xNN).</param>
/// <param name="Explanation">A plain sentence on why it matters.</param>
internal sealed record StickyStep(string? Part, string Side, string Action, int Bytes, string Text, string Explanation);
