using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Accounts;

namespace Coffer.Cli.State;

/// <summary>
/// The accounts this device knows (<c>accounts.json</c>, 0600) and their Secret Keys (<c>secret-keys/&lt;memberId&gt;</c>,
/// 0600 each; PROTOCOL.md §1 allows a 0600 file on a device). Writers hold a file lock and replace the file atomically,
/// so the CLI and the agent may both write.
/// </summary>
internal sealed class AccountStore(CofferHome home)
{
    // A write whose change time falls in the same tick of the file system's clock as an earlier one would look unchanged.
    // A file at least this old when read cannot be replaced later under the same time (the clock ticks every few milliseconds).
    private static readonly TimeSpan SettledAfter = TimeSpan.FromSeconds(1);

    // The file as last read, and its change time and length then: a long-lived reader (the shell, the agent) reads it
    // again only when it changed. Writers replace it (a new file, a new time), never edit it in place.
    private volatile Snapshot? _loaded;

    public CofferHome Home { get; } = home;

    public AccountsFile Load()
    {
        FileInfo info = new(Home.AccountsFile);
        if (!info.Exists)
        {
            return new AccountsFile();
        }
        if (_loaded is Snapshot loaded && loaded.ChangedAt == info.LastWriteTimeUtc && loaded.Length == info.Length)
        {
            return loaded.File;
        }
        try
        {
            AccountsFile file = JsonSerializer.Deserialize(File.ReadAllBytes(Home.AccountsFile), StateJsonContext.Default.AccountsFile) ?? new AccountsFile();
            _loaded = DateTime.UtcNow - info.LastWriteTimeUtc > SettledAfter ? new Snapshot(info.LastWriteTimeUtc, info.Length, file) : null;
            return file;
        }
        catch (JsonException e)
        {
            throw new CliException($"{Home.AccountsFile} is damaged ({e.Message}); move it away and sign in again.", e);
        }
    }

    /// <summary>Resolves <c>--account</c> (shorthand, email or member id; default: the last used).</summary>
    /// <exception cref="CliException">No such account, several match, or none is known.</exception>
    public StoredAccount Resolve(string? selector)
    {
        AccountsFile file = Load();
        if (file.Accounts.Count == 0)
        {
            throw new CliException(ExitCodes.Locked, "No account on this device yet: run `coffer setup`, `coffer accept` or `coffer signin`.");
        }
        if (string.IsNullOrWhiteSpace(selector))
        {
            return file.Accounts.FirstOrDefault(a => a.MemberId == file.LastUsed) ?? file.Accounts[^1];
        }
        string s = selector.Trim();
        List<StoredAccount> matches = [.. file.Accounts.Where(a => string.Equals(a.Shorthand, s, StringComparison.OrdinalIgnoreCase)
            || string.Equals(a.MemberId, s, StringComparison.OrdinalIgnoreCase))];
        if (matches.Count == 0)
        {
            matches = [.. file.Accounts.Where(a => string.Equals(a.Email, s, StringComparison.OrdinalIgnoreCase))];
        }
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new CliException(ExitCodes.NotFound, $"No account \"{s}\" on this device (see `coffer account list`)."),
            _ => throw new CliException(ExitCodes.Usage, $"Several accounts match \"{s}\"; name one by its shorthand."),
        };
    }

    public StoredAccount? Find(string memberId) => Load().Accounts.FirstOrDefault(a => a.MemberId == memberId);

    /// <summary>Adds or replaces an account (by member id) and makes it the last used.</summary>
    public async Task SaveAsync(StoredAccount account, CancellationToken cancellationToken)
    {
        await UpdateAsync(file => file with
        {
            LastUsed = account.MemberId,
            Accounts = [.. file.Accounts.Where(a => a.MemberId != account.MemberId), account],
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces an account's record (by member id) without changing which account is used last.</summary>
    public async Task ReplaceAsync(StoredAccount account, CancellationToken cancellationToken)
    {
        await UpdateAsync(file => file with
        {
            Accounts = [.. file.Accounts.Select(a => a.MemberId == account.MemberId ? account : a)],
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets an account: its record, its Secret Key file and its local cache.</summary>
    public async Task ForgetAsync(string memberId, CancellationToken cancellationToken)
    {
        await UpdateAsync(file => file with
        {
            LastUsed = file.LastUsed == memberId ? null : file.LastUsed,
            Accounts = [.. file.Accounts.Where(a => a.MemberId != memberId)],
        }, cancellationToken).ConfigureAwait(false);
        DeleteIfThere(Home.SecretKeyFile(memberId));
        DeleteIfThere(Home.PendingSecretKeyFile(memberId));
        DeleteIfThere(Home.PinsFile(memberId));
        DeleteCache(memberId);
    }

    /// <summary>Deletes the account's local cache (its file, journal and directory).</summary>
    public void DeleteCache(string memberId)
    {
        string directory = Home.CacheDirectory(memberId);
        if (Directory.Exists(directory))
        {
            Coffer.Sdk.Cache.LocalCache.Delete(Home.CacheFile(memberId));
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>File.Delete, also when the directory was never made.</summary>
    private static void DeleteIfThere(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>A shorthand no other account uses: <paramref name="wanted"/>, else with -2, -3, ….</summary>
    public string UniqueShorthand(string wanted, string memberId)
    {
        AccountsFile file = Load();
        string candidate = wanted;
        for (int i = 2; file.Accounts.Any(a => a.MemberId != memberId && string.Equals(a.Shorthand, candidate, StringComparison.OrdinalIgnoreCase)); i++)
        {
            candidate = wanted + "-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return candidate;
    }

    public void WriteSecretKey(string memberId, SecretKey secretKey)
    {
        Home.EnsureDirectory(Home.SecretKeysDirectory);
        string path = Home.SecretKeyFile(memberId);
        File.Delete(path);
        SecureFiles.CreateNew(path, secretKey.Format() + "\n");
    }

    /// <summary>Stores a new Secret Key beside the current one, before the server is asked to switch to it.</summary>
    public void WritePendingSecretKey(string memberId, SecretKey secretKey)
    {
        Home.EnsureDirectory(Home.SecretKeysDirectory);
        string path = Home.PendingSecretKeyFile(memberId);
        File.Delete(path);
        SecureFiles.CreateNew(path, secretKey.Format() + "\n");
    }

    /// <summary>The server took the new Secret Key: it replaces the current one.</summary>
    public void PromotePendingSecretKey(string memberId) => File.Move(Home.PendingSecretKeyFile(memberId), Home.SecretKeyFile(memberId), overwrite: true);

    /// <summary>The server refused the change: the new Secret Key never counted.</summary>
    public void DropPendingSecretKey(string memberId) => DeleteIfThere(Home.PendingSecretKeyFile(memberId));

    /// <summary>A new Secret Key whose change may or may not have reached the server (its answer was lost), or null.</summary>
    public SecretKey? ReadPendingSecretKey(string memberId) =>
        File.Exists(Home.PendingSecretKeyFile(memberId)) ? ReadSecretKeyFrom(Home.PendingSecretKeyFile(memberId)) : null;

    /// <summary>This device's copy of the account's sealed pins record, or null (none, or damaged: the server's copy still counts).</summary>
    public PinsDto? ReadPins(string memberId)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(Home.PinsFile(memberId)), CofferJsonContext.Default.PinsDto);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    public void WritePins(string memberId, PinsDto record)
    {
        Home.EnsureDirectory(Home.PinsDirectory);
        SecureFiles.Replace(Home.PinsFile(memberId), JsonSerializer.SerializeToUtf8Bytes(record, CofferJsonContext.Default.PinsDto));
    }

    /// <exception cref="CliException">The file is missing or does not hold a Secret Key.</exception>
    public SecretKey ReadSecretKey(string memberId) => ReadSecretKeyFrom(Home.SecretKeyFile(memberId));

    private static SecretKey ReadSecretKeyFrom(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new CliException(ExitCodes.NotFound, $"This device no longer has the account's Secret Key ({path}); sign in again with `coffer signin`.");
        }
        char[] chars = Encoding.ASCII.GetChars(bytes);
        try
        {
            return SecretKey.Parse(chars.AsSpan().Trim());
        }
        catch (FormatException e)
        {
            throw new CliException(ExitCodes.Error, $"{path} does not hold a Secret Key: {e.Message}", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            Array.Clear(chars);
        }
    }

    private sealed record Snapshot(DateTime ChangedAt, long Length, AccountsFile File);

    private async Task UpdateAsync(Func<AccountsFile, AccountsFile> change, CancellationToken cancellationToken)
    {
        Home.EnsureRunDirectory();
        using FileLock held = await FileLock.AcquireAsync(Home.StateLock, cancellationToken).ConfigureAwait(false);
        AccountsFile next = change(Load());
        SecureFiles.Replace(Home.AccountsFile, JsonSerializer.SerializeToUtf8Bytes(next, StateJsonContext.Default.AccountsFile));
    }
}
