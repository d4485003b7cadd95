using System.Text;

namespace Ferry.Protocol;

/// <summary>
/// Every message <c>type</c> Ferry knows, as constants: lower-case, dot-separated, noun first
/// (docs/protocol.md §4). Known types are interned when headers are parsed, so reading one costs no allocation.
/// </summary>
public static class MessageTypes
{
    public const string Hello = "hello";
    public const string Error = "error";
    public const string Ok = "ok";
    public const string Cancel = "cancel";
    public const string Ping = "ping";
    public const string Pong = "pong";
    public const string Stats = "stats";

    public const string AuthKeyStart = "auth.key.start";
    public const string AuthKeyChallenge = "auth.key.challenge";
    public const string AuthKeyProof = "auth.key.proof";
    public const string AuthScramStart = "auth.scram.start";
    public const string AuthScramChallenge = "auth.scram.challenge";
    public const string AuthScramFinal = "auth.scram.final";
    public const string AuthOk = "auth.ok";

    public const string Echo = "echo";

    public const string ExecStart = "exec.start";
    public const string ExecStdin = "exec.stdin";
    public const string ExecStdout = "exec.stdout";
    public const string ExecStderr = "exec.stderr";
    public const string ExecSignal = "exec.signal";
    public const string ExecResize = "exec.resize";
    public const string ExecExit = "exec.exit";

    public const string FilePut = "file.put";
    public const string FileGet = "file.get";
    public const string FileData = "file.data";
    public const string FileDone = "file.done";
    public const string FileList = "file.list";
    public const string FileStat = "file.stat";
    public const string FileRemove = "file.remove";
    public const string FileMkdir = "file.mkdir";
    public const string FileReady = "file.ready";
    public const string FileSig = "file.sig";

    public const string ChatJoin = "chat.join";
    public const string ChatLeave = "chat.leave";
    public const string ChatSay = "chat.say";
    public const string ChatMsg = "chat.msg";
    public const string ChatNick = "chat.nick";
    public const string ChatWho = "chat.who";
    public const string ChatRooms = "chat.rooms";
    public const string ChatEvent = "chat.event";

    public const string TimeGet = "time.get";

    public const string ForwardOpen = "forward.open";
    public const string ForwardReady = "forward.ready";
    public const string ForwardData = "forward.data";
    public const string ForwardCredit = "forward.credit";
    public const string ForwardClose = "forward.close";
    public const string ForwardListen = "forward.listen";
    public const string ForwardListening = "forward.listening";
    public const string ForwardIncoming = "forward.incoming";
    public const string ForwardAccept = "forward.accept";
    public const string ForwardDecline = "forward.decline";

    /// <summary>All the constants above (a test checks none is missing).</summary>
    /// <remarks>
    /// Listed, not found by reflection: these are the very instances of the C# literals, which callers compare by
    /// reference. Reflection's copy of a constant is another instance under Native AOT, where string.Intern does not
    /// return the literal either.
    /// </remarks>
    public static IReadOnlyCollection<string> All { get; } =
    [
        Hello, Error, Ok, Cancel, Ping, Pong, Stats, AuthKeyStart, AuthKeyChallenge, AuthKeyProof, AuthScramStart,
        AuthScramChallenge, AuthScramFinal, AuthOk, Echo, ExecStart, ExecStdin, ExecStdout, ExecStderr, ExecSignal,
        ExecResize, ExecExit, FilePut, FileGet, FileData, FileDone, FileList, FileStat, FileRemove, FileMkdir, FileReady, FileSig,
        ChatJoin, ChatLeave, ChatSay, ChatMsg, ChatNick, ChatWho, ChatRooms, ChatEvent, TimeGet, ForwardOpen, ForwardReady,
        ForwardData, ForwardCredit, ForwardClose, ForwardListen, ForwardListening, ForwardIncoming, ForwardAccept, ForwardDecline
    ];

    private static readonly Dictionary<string, string> s_known = All.ToDictionary(t => t, StringComparer.Ordinal);
    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> s_lookup = s_known.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// Whether a client frame of this type continues the exchange already running on its id (input for a command,
    /// data of an upload, cancel) rather than starting a request of its own: only these may reuse a running id
    /// (protocol.md §3.3, <c>duplicate_id</c>).
    /// </summary>
    public static bool ContinuesExchange(string type) =>
        type is ExecStdin or ExecResize or FileData or FileDone or ForwardData or ForwardCredit or ForwardDecline or Cancel;

    /// <summary>Returns the shared instance of a known type name, or a new string for an unknown one.</summary>
    public static string Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length <= 64)
        {
            Span<char> chars = stackalloc char[64];
            int n = Encoding.UTF8.GetChars(utf8, chars);
            return s_lookup.TryGetValue(chars[..n], out var known) ? known : new string(chars[..n]);
        }
        return Encoding.UTF8.GetString(utf8);
    }

    /// <summary>Returns the shared instance of a known type name, or <paramref name="type"/> itself.</summary>
    public static string Intern(string type) => s_known.TryGetValue(type, out var known) ? known : type;
}
