using System.Security.Cryptography;
using System.Text;

namespace Ferry.Datagrams;

/// <summary>
/// Reads the server's shared key (<c>&lt;state&gt;/key</c>): base64 text when the file holds base64, else its raw
/// bytes. UDP chat authenticates every datagram with it.
/// </summary>
public static class SharedKeyFile
{
    /// <summary>Reads the key at <paramref name="path"/>; throws a one-line error naming the fix when it is missing or short.</summary>
    public static byte[] Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no shared key at {path}; copy the server's key file there or pass --key-file PATH", path);
        }
        var key = Parse(File.ReadAllBytes(path));
        if (key.Length < 16) throw new InvalidDataException($"the shared key in {path} is only {key.Length} bytes; it needs at least 16");
        return key;
    }

    /// <summary>Reads the key, creating a random one (base64 text, owner-only) when the server has none yet.</summary>
    public static byte[] LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            var key = RandomNumberGenerator.GetBytes(32);
            var temp = path + ".tmp-" + Environment.ProcessId;
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var file = new FileStream(temp, options))
            {
                file.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key) + "\n"));
            }
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp); // someone else created it first; use theirs
            }
        }
        return Load(path);
    }

    /// <summary>Base64 text (surrounding whitespace ignored) decodes to the key; anything else is the key itself.</summary>
    public static byte[] Parse(ReadOnlySpan<byte> content)
    {
        var text = Encoding.ASCII.GetString(content).Trim();
        if (text.Length >= 16 && IsBase64Text(text))
        {
            try
            {
                return Convert.FromBase64String(text);
            }
            catch (FormatException)
            {
                // Not base64 after all; use the raw bytes.
            }
        }
        return content.ToArray();
    }

    private static bool IsBase64Text(string text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '/' or '=')) return false;
        }
        return text.Length % 4 == 0;
    }
}
