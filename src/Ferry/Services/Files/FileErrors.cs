using Ferry.Protocol;

namespace Ferry.Services.Files;

/// <summary>Turns file-system exceptions into wire errors with one-line messages that say what to do.</summary>
public static class FileErrors
{
    public static FerryException Map(Exception ex, string remotePath)
    {
        var name = FileSandbox.Printable(remotePath);
        return ex switch
        {
            FerryException ferry => ferry,
            FileNotFoundException or DirectoryNotFoundException => new FerryException(ProtocolError.NotFound, $"no such file or folder: '{name}'", ex),
            UnauthorizedAccessException => new FerryException(ProtocolError.IoError, $"permission denied on '{name}' (is the folder read-only?)", ex),
            FileChangedException changed => new FerryException(ProtocolError.IoError, $"'{name}': {changed.Message}", ex),
            IOException io when IsDiskFull(io) => new FerryException(ProtocolError.IoError, $"no space left on the device writing '{name}'; free some space, then re-run with --resume", ex),
            IOException io when io.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase)
                => new FerryException(ProtocolError.IoError, $"'{name}' is on a read-only file system", ex),
            IOException io => new FerryException(ProtocolError.IoError, $"'{name}': {FirstLine(io.Message)}", ex),
            _ => new FerryException(ProtocolError.Internal, $"'{name}': {FirstLine(ex.Message)}", ex),
        };
    }

    /// <summary>ENOSPC/EDQUOT on Unix, ERROR_DISK_FULL/ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(IOException ex)
    {
        int code = ex.HResult & 0xFFFF;
        return ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase)
            || ex.Message.Contains("quota", StringComparison.OrdinalIgnoreCase)
            || code == 112 || code == 39;
    }

    private static string FirstLine(string message)
    {
        int newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
