using System.Text.Json;
using Ferry.Security.Scram;

namespace Ferry.Security.Accounts;

/// <summary>
/// The users file (<c>users.json</c> in the state folder, owner-only): names, rights and SCRAM verifiers —
/// salt, iteration count, StoredKey, ServerKey — never a password or a plain hash of one. Every change rewrites
/// the file atomically. Reads are cached until the file changes, so a running server sees edits at once.
/// </summary>
public sealed class UserStore
{
    private readonly object _gate = new();
    private (DateTime WriteTime, long Length, Dictionary<string, UserAccount> Users)? _cache;

    /// <summary>The users file at <paramref name="path"/>; it need not exist yet.</summary>
    public UserStore(string path) => Path = path;

    /// <summary>The users file.</summary>
    public string Path { get; }

    /// <summary>Every account, sorted by name.</summary>
    public IReadOnlyList<UserAccount> List() => [.. Load().Values.OrderBy(u => u.Name, StringComparer.Ordinal)];

    /// <summary>The account named <paramref name="name"/>, or null.</summary>
    public UserAccount? Find(string name) => Load().TryGetValue(name, out var account) ? account : null;

    /// <summary>Creates an account; throws <see cref="InvalidOperationException"/> when the name is taken.</summary>
    public UserAccount Add(string name, string password, IEnumerable<string> rights, int iterations = ScramSha256.DefaultIterations)
    {
        ValidateName(name);
        var rightList = ValidateRights(rights);
        ValidatePassword(password);
        var users = Load(fresh: true);
        if (users.ContainsKey(name)) throw new InvalidOperationException($"user '{name}' already exists; use 'ferry user passwd {name}' to change the password");
        var account = new UserAccount { Name = name, Rights = rightList, Scram = ScramSha256.CreateCredential(password, iterations) };
        users[name] = account;
        Save(users);
        return account;
    }

    /// <summary>Removes an account; false when there was none.</summary>
    public bool Remove(string name)
    {
        var users = Load(fresh: true);
        if (!users.Remove(name)) return false;
        Save(users);
        return true;
    }

    /// <summary>Replaces an account's password (new salt too); throws <see cref="KeyNotFoundException"/> for an unknown user.</summary>
    public void SetPassword(string name, string password, int iterations = ScramSha256.DefaultIterations)
    {
        ValidatePassword(password);
        var users = Load(fresh: true);
        if (!users.TryGetValue(name, out var account)) throw new KeyNotFoundException($"no user '{name}'; 'ferry user list' shows who exists");
        account.Scram = ScramSha256.CreateCredential(password, iterations);
        Save(users);
    }

    /// <summary>Names are 1-64 of letters, digits, '.', '_', '-', '@'.</summary>
    public static void ValidateName(string name)
    {
        if (name.Length is < 1 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
        {
            throw new ArgumentException($"'{name}' is not a valid user name: use 1-64 letters, digits, '.', '_', '-' or '@'");
        }
    }

    private static string[] ValidateRights(IEnumerable<string> rights)
    {
        var list = rights.Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        var unknown = list.Where(r => !Security.Rights.IsKnown(r)).ToArray();
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"unknown right(s) {string.Join(", ", unknown)}; rights are {string.Join(", ", Security.Rights.All)}");
        }
        return list;
    }

    private static void ValidatePassword(string password)
    {
        if (password.Length == 0) throw new ArgumentException("the password is empty");
        if (password.Length > 1024) throw new ArgumentException("the password is longer than 1024 characters");
    }

    private Dictionary<string, UserAccount> Load(bool fresh = false)
    {
        var info = new FileInfo(Path);
        if (!info.Exists) return new Dictionary<string, UserAccount>(StringComparer.Ordinal);
        lock (_gate)
        {
            if (!fresh && _cache is { } cached && cached.WriteTime == info.LastWriteTimeUtc && cached.Length == info.Length) return cached.Users;
        }
        UsersFile file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllBytes(Path), AccountsJsonContext.Default.UsersFile) ?? new UsersFile();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{Path} is not a valid users file: {ex.Message}", ex);
        }
        var users = new Dictionary<string, UserAccount>(StringComparer.Ordinal);
        foreach (var record in file.Users)
        {
            users[record.Name] = new UserAccount
            {
                Name = record.Name,
                Rights = record.Rights,
                Scram = new ScramCredential(record.Salt, record.Iterations, record.StoredKey, record.ServerKey),
            };
        }
        lock (_gate) _cache = (info.LastWriteTimeUtc, info.Length, users);
        return fresh ? new Dictionary<string, UserAccount>(users, StringComparer.Ordinal) : users;
    }

    private void Save(Dictionary<string, UserAccount> users)
    {
        var file = new UsersFile
        {
            Users = [.. users.Values.OrderBy(u => u.Name, StringComparer.Ordinal).Select(u => new UserRecord
            {
                Name = u.Name,
                Rights = u.Rights,
                Salt = u.Scram.Salt,
                Iterations = u.Scram.Iterations,
                StoredKey = u.Scram.StoredKey,
                ServerKey = u.Scram.ServerKey,
            })],
        };
        SecureFile.WriteAllBytes(Path, JsonSerializer.SerializeToUtf8Bytes(file, AccountsJsonContext.Default.UsersFile), ownerOnly: true);
        lock (_gate) _cache = null;
    }
}
