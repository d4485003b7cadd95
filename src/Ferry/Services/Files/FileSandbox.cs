using System.Text;
using Ferry.Protocol;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// Turns remote paths into real paths inside one root folder, refusing anything that could reach outside it or
/// misbehave on another platform. Pure path resolution: it reads link targets but never creates, opens or changes
/// anything, so a refused path has touched nothing. Every refusal is a <see cref="ProtocolError.BadPath"/> naming the path.
/// <see cref="Validate"/> is the path rule every file request passes; <see cref="Resolve"/> is a check by path, so what
/// it answers can be stale by the time the path is used: the file service acts through <see cref="FileRoot"/>, which on
/// Linux resolves and acts in one step by directory descriptors (docs/security.md §7) and uses Resolve only elsewhere.
/// </summary>
internal sealed class FileSandbox
{
    /// <summary>The longest remote path accepted, in UTF-8 bytes.</summary>
    public const int MaxPathBytes = 1024;

    /// <summary>The longest single name accepted, in UTF-8 bytes (NAME_MAX on Linux and macOS).</summary>
    public const int MaxNameBytes = 255;

    private const int MaxLinkHops = 40;

    private static readonly HashSet<string> s_windowsDevices = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
    };

    public FileSandbox(string root)
    {
        var full = Path.GetFullPath(root);
        Directory.CreateDirectory(full);
        // The root itself may sit behind links (/tmp on macOS); compare against its real location.
        Root = RealPathOf(full);
    }

    /// <summary>The root folder's real path (links resolved).</summary>
    public string Root { get; }

    /// <summary>
    /// Resolves <paramref name="remotePath"/> ('/'-separated, relative to the root; empty or "." is the root itself).
    /// Links are followed as the kernel would; the final location must be inside the root.
    /// </summary>
    public SandboxPath Resolve(string? remotePath)
    {
        var names = Validate(remotePath ?? "");
        string parent = Root;
        for (int i = 0; i < names.Count - 1; i++)
        {
            parent = Follow(parent, names[i], remotePath!);
        }
        if (names.Count == 0) return new SandboxPath(Root, Root, "", IsRoot: true);
        string entry = Path.Join(parent, names[^1]);
        string real = Follow(parent, names[^1], remotePath!);
        return new SandboxPath(real, entry, remotePath!, IsRoot: real == Root);
    }

    /// <summary>Checks the text of a remote path and splits it into names; throws <see cref="ProtocolError.BadPath"/>.</summary>
    public static List<string> Validate(string remotePath)
    {
        if (remotePath.Contains('\0')) throw Bad(remotePath, "it contains a NUL byte");
        if (Encoding.UTF8.GetByteCount(remotePath) > MaxPathBytes) throw Bad(remotePath, $"it is longer than {MaxPathBytes} bytes");
        if (remotePath.StartsWith('/')) throw Bad(remotePath, "absolute paths are not allowed; give a path relative to the server's root");
        if (remotePath.Contains('\\')) throw Bad(remotePath, "'\\' is not allowed; separate folders with '/'");
        if (remotePath.Length >= 2 && char.IsAsciiLetter(remotePath[0]) && remotePath[1] == ':')
        {
            throw Bad(remotePath, "drive letters are not allowed; give a path relative to the server's root");
        }
        var names = new List<string>();
        foreach (var name in remotePath.Split('/'))
        {
            if (name.Length == 0 || name == ".") continue;
            if (name == "..") throw Bad(remotePath, "'..' is not allowed; paths stay inside the server's root");
            if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes) throw Bad(remotePath, $"a name is longer than {MaxNameBytes} bytes");
            foreach (char c in name)
            {
                if (c < 0x20 || c == 0x7f) throw Bad(remotePath, "it contains a control character");
                if (c == ':') throw Bad(remotePath, "':' is not allowed (drive letters and alternate data streams)");
            }
            if (name.EndsWith('.') || name.EndsWith(' ')) throw Bad(remotePath, $"'{name}' ends with a dot or space, which Windows silently drops");
            int dot = name.IndexOf('.', StringComparison.Ordinal);
            var stem = (dot < 0 ? name : name[..dot]).TrimEnd(' ');
            if (s_windowsDevices.Contains(stem)) throw Bad(remotePath, $"'{name}' is a Windows device name");
            names.Add(name);
        }
        return names;
    }

    /// <summary>
    /// The <c>path</c> of a request that must name something: a JSON null (or a non-string) is a
    /// <see cref="ProtocolError.BadRequest"/> naming the field, never a crash further in.
    /// </summary>
    public static string RequirePath(string? path, string type) =>
        path ?? throw new FerryException(ProtocolError.BadRequest, $"'{type}' needs a 'path' string (relative to the server's root; \"\" is the root)");

    /// <summary>A <see cref="ProtocolError.BadPath"/> error naming the path and the reason.</summary>
    public static FerryException Bad(string remotePath, string reason) =>
        new(ProtocolError.BadPath, $"bad path '{Printable(remotePath)}': {reason}");

    /// <summary>The path with control characters escaped, safe to put in a one-line message.</summary>
    public static string Printable(string text)
    {
        if (text.Length > 200) text = text[..200] + "…";
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c < 0x20 || c == 0x7f) builder.Append($"\\x{(int)c:x2}");
            else builder.Append(c);
        }
        return builder.ToString();
    }

    // Steps from the real folder 'parent' into 'name', following links (and links inside their targets) to the end,
    // and refuses the step if it lands outside the root. 'parent' is always a real path, so '..' in a link target
    // can be applied textually.
    private string Follow(string parent, string name, string remotePath)
    {
        var pending = new Stack<string>();
        pending.Push(name);
        string current = parent;
        int hops = 0;
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (next.Length == 0 || next == ".") continue;
            if (next == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            var candidate = Path.Join(current, next);
            string? target = LinkTargetOf(candidate);
            if (target is null)
            {
                current = candidate;
                continue;
            }
            if (++hops > MaxLinkHops) throw Bad(remotePath, "too many levels of symbolic links");
            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target) ?? "/";
                target = target[current.Length..];
            }
            var parts = target.Split('/', '\\');
            for (int i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
        }
        if (!IsInsideRoot(current)) throw Bad(remotePath, "it leads through a link to outside the server's root");
        return current;
    }

    private bool IsInsideRoot(string path) =>
        path == Root || path.StartsWith(Root.EndsWith(Path.DirectorySeparatorChar) ? Root : Root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string? LinkTargetOf(string path)
    {
        try
        {
            // lstat: the link itself, dangling or not; null for anything that is not a link or does not exist.
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string RealPathOf(string fullPath)
    {
        string current = Path.GetPathRoot(fullPath) ?? "/";
        foreach (var name in fullPath[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Join(current, name);
            var info = new DirectoryInfo(candidate);
            current = info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? candidate : candidate;
        }
        return current;
    }
}

/// <summary>
/// A resolved remote path: <see cref="RealPath"/> is where data lives (links followed); <see cref="EntryPath"/> is
/// the entry itself (the link, when the last name is one), which is what remove deletes.
/// </summary>
public readonly record struct SandboxPath(string RealPath, string EntryPath, string RemotePath, bool IsRoot);
