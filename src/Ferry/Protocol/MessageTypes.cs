using System.Text;

namespace Ferry.Protocol;

/// <summary>
/// Every message <c>type</c> Ferry knows, as constants: lower-case, dot-separated, noun first
/// (docs/protocol.md §4). Known types are interned when headers are parsed, so reading one costs no allocation.
/// </summary>
public static class MessageTypes
{
    /// <summary><c>hello</c>: The first frame each way: versions and names (protocol.md §3.1).</summary>
    public const string Hello = "hello";
    /// <summary><c>error</c>: An error answer: <c>code</c> and <c>message</c> (protocol.md §6); on id 0 it is about the connection.</summary>
    public const string Error = "error";
    /// <summary><c>ok</c>: A successful answer to a request.</summary>
    public const string Ok = "ok";
    /// <summary><c>cancel</c>: Stop the request running on this id.</summary>
    public const string Cancel = "cancel";
    /// <summary><c>ping</c>: Asks for a <c>pong</c> on the same id.</summary>
    public const string Ping = "ping";
    /// <summary><c>pong</c>: The answer to <c>ping</c>.</summary>
    public const string Pong = "pong";
    /// <summary><c>stats</c>: The server's running totals.</summary>
    public const string Stats = "stats";

    /// <summary><c>auth.key.start</c>: Shared-key login, step 1: asks for a server nonce.</summary>
    public const string AuthKeyStart = "auth.key.start";
    /// <summary><c>auth.key.challenge</c>: Shared-key login: the server's nonce.</summary>
    public const string AuthKeyChallenge = "auth.key.challenge";
    /// <summary><c>auth.key.proof</c>: Shared-key login, step 2: the client's nonce and proof.</summary>
    public const string AuthKeyProof = "auth.key.proof";
    /// <summary><c>auth.scram.start</c>: SCRAM-SHA-256 login: the client-first message.</summary>
    public const string AuthScramStart = "auth.scram.start";
    /// <summary><c>auth.scram.challenge</c>: SCRAM-SHA-256 login: the server-first message (salt, iterations, nonce).</summary>
    public const string AuthScramChallenge = "auth.scram.challenge";
    /// <summary><c>auth.scram.final</c>: SCRAM-SHA-256 login: the client-final message with its proof.</summary>
    public const string AuthScramFinal = "auth.scram.final";
    /// <summary><c>auth.ok</c>: The login succeeded: who, how, which rights (and the server's proof).</summary>
    public const string AuthOk = "auth.ok";

    /// <summary><c>echo</c>: The body comes back unchanged (or upper-cased).</summary>
    public const string Echo = "echo";

    /// <summary><c>exec.start</c>: Runs a command (or the login shell, on a terminal when asked).</summary>
    public const string ExecStart = "exec.start";
    /// <summary><c>exec.stdin</c>: Input for the running command; <c>eof</c> closes its stdin.</summary>
    public const string ExecStdin = "exec.stdin";
    /// <summary><c>exec.stdout</c>: Output of the running command (all of it, on a terminal).</summary>
    public const string ExecStdout = "exec.stdout";
    /// <summary><c>exec.stderr</c>: Error output of the running command.</summary>
    public const string ExecStderr = "exec.stderr";
    /// <summary><c>exec.signal</c>: Sends a signal to the running command's process group.</summary>
    public const string ExecSignal = "exec.signal";
    /// <summary><c>exec.resize</c>: The terminal's new size in columns and rows.</summary>
    public const string ExecResize = "exec.resize";
    /// <summary><c>exec.exit</c>: The command ended: exit code or signal.</summary>
    public const string ExecExit = "exec.exit";

    /// <summary><c>file.put</c>: Starts an upload (or carries a small file whole).</summary>
    public const string FilePut = "file.put";
    /// <summary><c>file.get</c>: Starts a download.</summary>
    public const string FileGet = "file.get";
    /// <summary><c>file.data</c>: A chunk of file content at an offset.</summary>
    public const string FileData = "file.data";
    /// <summary><c>file.done</c>: The sender's whole-file SHA-256 (or an abort), after the last byte.</summary>
    public const string FileDone = "file.done";
    /// <summary><c>file.list</c>: Lists a folder.</summary>
    public const string FileList = "file.list";
    /// <summary><c>file.stat</c>: Describes one path.</summary>
    public const string FileStat = "file.stat";
    /// <summary><c>file.remove</c>: Removes a file (or a folder, recursively when asked).</summary>
    public const string FileRemove = "file.remove";
    /// <summary><c>file.mkdir</c>: Creates a folder.</summary>
    public const string FileMkdir = "file.mkdir";
    /// <summary><c>file.ready</c>: The receiver's go-ahead: where the data starts, and what the receiver already holds.</summary>
    public const string FileReady = "file.ready";
    /// <summary><c>file.sig</c>: Asks for the block signature of a file the server holds, for a delta upload.</summary>
    public const string FileSig = "file.sig";

    /// <summary><c>chat.join</c>: Enters a room (and claims a nick); the room's events follow on this id.</summary>
    public const string ChatJoin = "chat.join";
    /// <summary><c>chat.leave</c>: Leaves the current room.</summary>
    public const string ChatLeave = "chat.leave";
    /// <summary><c>chat.say</c>: Says the body to the room.</summary>
    public const string ChatSay = "chat.say";
    /// <summary><c>chat.msg</c>: Sends the body privately to one nick.</summary>
    public const string ChatMsg = "chat.msg";
    /// <summary><c>chat.nick</c>: Changes nick.</summary>
    public const string ChatNick = "chat.nick";
    /// <summary><c>chat.who</c>: Lists a room's members.</summary>
    public const string ChatWho = "chat.who";
    /// <summary><c>chat.rooms</c>: Lists the rooms.</summary>
    public const string ChatRooms = "chat.rooms";
    /// <summary><c>chat.event</c>: A message, private message, join, leave or nick change, on the id of the member's <c>chat.join</c>.</summary>
    public const string ChatEvent = "chat.event";

    /// <summary><c>time.get</c>: The server's clock, SNTP-style, over the framed connection.</summary>
    public const string TimeGet = "time.get";

    /// <summary><c>forward.open</c>: Opens a tunnel stream to a host and port the server connects to (<c>-L</c>, <c>-D</c>).</summary>
    public const string ForwardOpen = "forward.open";
    /// <summary><c>forward.ready</c>: The tunnel's far end is connected: the peer's window and address.</summary>
    public const string ForwardReady = "forward.ready";
    /// <summary><c>forward.data</c>: Bytes of a tunnel stream, within the receiver's credit; <c>eof</c> half-closes.</summary>
    public const string ForwardData = "forward.data";
    /// <summary><c>forward.credit</c>: The receiver took bytes: the sender may send that many more.</summary>
    public const string ForwardCredit = "forward.credit";
    /// <summary><c>forward.close</c>: Ends a tunnel stream (both directions).</summary>
    public const string ForwardClose = "forward.close";
    /// <summary><c>forward.listen</c>: Asks the server to listen on a port and offer each connection to the client (<c>-R</c>).</summary>
    public const string ForwardListen = "forward.listen";
    /// <summary><c>forward.listening</c>: The server's listener is bound: its address and port.</summary>
    public const string ForwardListening = "forward.listening";
    /// <summary><c>forward.incoming</c>: A connection arrived at the server's listener.</summary>
    public const string ForwardIncoming = "forward.incoming";
    /// <summary><c>forward.accept</c>: The client takes an incoming connection as a tunnel stream.</summary>
    public const string ForwardAccept = "forward.accept";
    /// <summary><c>forward.decline</c>: The client refuses an incoming connection; the server closes it.</summary>
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
