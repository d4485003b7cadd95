using System.Globalization;
using System.Text;

namespace Ferry.Cli.Demos.Sticky;

/// <summary>The stand-in command outputs of the remote-shell case (fixed text, so every run shows the same bytes).</summary>
internal static class DemoData
{
    /// <summary>An `ls -l`-style listing of about 1.6 KB: longer than a 1024-byte read.</summary>
    public static byte[] DirectoryListing()
    {
        var text = new StringBuilder("total 112\n");
        for (int i = 1; i <= 26; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"-rw-r--r-- 1 feng staff {i * 1237 % 90000,6} Nov 22 10:{i:00} notes-{i:00}.txt\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    public static byte[] WorkingDirectory() => "/home/feng\n"u8.ToArray();
}
