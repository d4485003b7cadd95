using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Transfers;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// The one place file-system exceptions become wire errors, with one-line messages that say what to do. The file
/// service's dispatcher applies it to every request (and the download sender to its background work), so handlers
/// let I/O exceptions go and clean up with <c>finally</c>.
/// </summary>
internal static class FileErrors
{
    // errno values as .NET reports them in IOException.HResult on Unix (Linux first, then macOS/BSD).
    private const int EWouldBlockLinux = 11, EWouldBlockBsd = 35;
    private const int ENoSpace = 28, EDQuotLinux = 122, EDQuotBsd = 69;
    private const int ERoFs = 30;
    // Win32 codes carried in the low 16 bits of an HRESULT from the FACILITY_WIN32 (0x8007xxxx).
    private const int ErrorSharingViolation = 32, ErrorLockViolation = 33, ErrorHandleDiskFull = 39, ErrorDiskFull = 112, ErrorWriteProtect = 19;

    /// <summary>Whether <paramref name="ex"/> is a failure of the file system (not of the connection, not a bug, not a wire error).</summary>
    public static bool IsFileSystemFailure(Exception ex) => ex is (IOException and not ConnectionClosedException) or UnauthorizedAccessException;

    public static FerryException Map(Exception ex, string? remotePath)
    {
        var name = FileSandbox.Printable(remotePath ?? "");
        return ex switch
        {
            FerryException ferry => ferry,
            FileNotFoundException or DirectoryNotFoundException => new FerryException(ProtocolError.NotFound, $"no such file or folder: '{name}'", ex),
            UnauthorizedAccessException => new FerryException(ProtocolError.IoError, $"permission denied on '{name}' (is the folder read-only?)", ex),
            FileChangedException changed => new FerryException(ProtocolError.IoError, $"'{name}': {changed.Message}", ex),
            IOException io when IsDiskFull(io) => new FerryException(ProtocolError.IoError, $"no space left on the device writing '{name}'; free some space, then resume the upload ('resume' with the same 'key')", ex),
            IOException io when IsReadOnlyFileSystem(io) => new FerryException(ProtocolError.IoError, $"'{name}' is on a read-only file system", ex),
            IOException io => new FerryException(ProtocolError.IoError, $"'{name}': {FirstLine(io.Message)}", ex),
            _ => new FerryException(ProtocolError.Internal, $"'{name}': {FirstLine(ex.Message)}", ex),
        };
    }

    /// <summary>ENOSPC/EDQUOT on Unix, ERROR_DISK_FULL/ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(IOException ex) => OperatingSystem.IsWindows()
        ? Win32Code(ex) is ErrorDiskFull or ErrorHandleDiskFull
        : ex.HResult is ENoSpace || ex.HResult == (OperatingSystem.IsLinux() ? EDQuotLinux : EDQuotBsd);

    /// <summary>EROFS on Unix, ERROR_WRITE_PROTECT on Windows.</summary>
    public static bool IsReadOnlyFileSystem(IOException ex) =>
        OperatingSystem.IsWindows() ? Win32Code(ex) == ErrorWriteProtect : ex.HResult == ERoFs;

    /// <summary>
    /// Another opener holds the file's lock: EWOULDBLOCK from the advisory lock .NET takes for <c>FileShare.None</c> on
    /// Unix, ERROR_SHARING_VIOLATION/ERROR_LOCK_VIOLATION on Windows. By error code, never by message text (which is localised).
    /// </summary>
    public static bool IsLockConflict(Exception ex) => ex is IOException io && (OperatingSystem.IsWindows()
        ? Win32Code(io) is ErrorSharingViolation or ErrorLockViolation
        : io.HResult == (OperatingSystem.IsLinux() ? EWouldBlockLinux : EWouldBlockBsd));

    private static int Win32Code(IOException ex) => (ex.HResult & unchecked((int)0xFFFF0000)) == unchecked((int)0x80070000) ? ex.HResult & 0xFFFF : ex.HResult;

    private static string FirstLine(string message)
    {
        int newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
