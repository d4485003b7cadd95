using Ferry.Security.SharedKey;

namespace Ferry.Server.Authentication;

/// <summary>The shared key file, re-read when it changes, so 'ferry key rotate' takes effect without a restart.</summary>
internal sealed class ReloadingKey
{
    private readonly object _gate = new();
    private (DateTime WriteTime, byte[] Key)? _cached;

    public ReloadingKey(string path) => Path = path;

    public string Path { get; }

    public byte[] Current
    {
        get
        {
            var writeTime = File.GetLastWriteTimeUtc(Path);
            lock (_gate)
            {
                if (_cached is { } cached && cached.WriteTime == writeTime) return cached.Key;
            }
            var key = SharedKeyFile.Load(Path);
            lock (_gate) _cached = (writeTime, key);
            return key;
        }
    }
}
