using Ferry.Contracts.Files;
namespace Ferry.Services.Files;

/// <summary>
/// What one file request is about, so the dispatcher can name it when it maps an I/O failure (<see cref="FileErrors"/>):
/// a handler sets <see cref="Path"/> as soon as it knows it.
/// </summary>
internal sealed class FileRequestScope
{
    public string? Path { get; set; }
}
