using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Wire;
using Microsoft.Data.Sqlite;

namespace Coffer.Sdk.Cache;

/// <summary>
/// The encrypted local cache of one member on one device (PROTOCOL.md §4, §9; docs/adr/0019-local-cache.md): a SQLite file
/// (0600, in a directory only its owner may enter) holding the server's ciphertext — vaults with their signed grants and
/// successions, item envelopes, signers' certificates — plus the last verified <c>account/keys</c> answer, the pins
/// (highest version per vault and item, verified keys) and each vault's sync cursor. Every record is sealed again under a
/// random cache key with associated data <c>coffer/cache/&lt;memberId&gt;/&lt;record&gt;</c>, so a record moved to
/// another name does not open. The cache key is sealed by the member's keyset key, and the keyset (as the server sealed it
/// under the AUK) sits in the plaintext header: password + Secret Key → 2SKD → AUK → keyset → cache key opens the cache
/// with no server (<see cref="OpenOffline"/>), and everything is verified again to the pinned organisation root.
/// <para>
/// Online, <see cref="Open"/> discards a cache that does not open (damaged, another member's, made under a keyset the
/// account no longer has) and starts an empty one, which the next sync fills. Offline there is nothing to rebuild from:
/// such a cache is a <see cref="LocalCacheException"/>. Use it through <see cref="Items.ItemLibrary"/>; not thread-safe
/// on its own (the library serialises its use).
/// </para>
/// </summary>
public sealed class LocalCache : IDisposable
{
    private const string FormatName = "coffer-cache/1";
    private const string AccountRecordName = "account";
    private const string StateRecordName = "state";
    private const string VaultPrefix = "vault/";
    private const string SignerPrefix = "signer/";

    private readonly CacheFile _file;
    private readonly EnvelopeKey _key;
    private readonly Contracts.Common.EnvelopeDto _sealedKey;
    private StateRecord? _state;
    private bool _disposed;

    private LocalCache(CacheFile file, EnvelopeKey key, Contracts.Common.EnvelopeDto sealedKey, string memberId, bool offline, bool rebuilt)
    {
        _file = file;
        _key = key;
        _sealedKey = sealedKey;
        MemberId = memberId;
        IsOffline = offline;
        WasRebuilt = rebuilt;
    }

    /// <summary>The cache file.</summary>
    public string Path => _file.Path;

    /// <summary>Whose cache it is.</summary>
    public string MemberId { get; }

    /// <summary>Opened without the server (<see cref="OpenOffline"/>): read-only, as of the last sync.</summary>
    public bool IsOffline { get; }

    /// <summary>A cache was at the path but did not open, so it was discarded and this one started empty (sync fills it).</summary>
    public bool WasRebuilt { get; private set; }

    /// <summary>The last online unlock recorded (the start of the offline window).</summary>
    public DateTimeOffset LastOnlineAt => DateTimeOffset.FromUnixTimeMilliseconds(State.LastOnlineAt);

    /// <summary>How long after <see cref="LastOnlineAt"/> the cache may be opened offline (zero: not at all).</summary>
    public TimeSpan OfflineWindow => TimeSpan.FromMilliseconds(State.OfflineWindowMs);

    internal CacheFile File => _file;

    /// <summary>The server restore epoch the cached versions and cursors belong to (docs/adr/0013).</summary>
    internal long RestoreEpoch => State.RestoreEpoch;

    private StateRecord State => _state ?? throw new InvalidOperationException("The cache state was not read.");

    /// <summary>
    /// Opens (or makes) the cache at <paramref name="path"/> after an online unlock, and records that unlock: the
    /// <c>account/keys</c> answer it verified, the KDF parameters, the time (the start of the offline window) and the
    /// organisation's offline window. The pins kept in the cache are merged into <paramref name="account"/>'s, so versions
    /// this device saw stay the floor. A cache that does not open is discarded (<see cref="WasRebuilt"/>).
    /// </summary>
    /// <param name="path">The cache file; its directory is created 0700 when missing, and must not be open to other users.</param>
    /// <param name="account">The account just unlocked online.</param>
    /// <param name="keys">The <c>account/keys</c> answer it was unlocked from, exactly as served.</param>
    /// <param name="kdf">The KDF parameters of the sign-in (<see cref="Auth.SignInResult.Kdf"/>).</param>
    /// <param name="options">The organisation's offline window; null: offline access not allowed.</param>
    /// <param name="clock">The clock.</param>
    /// <exception cref="LocalCacheException">The cache's directory is open to other users (<see cref="LocalCacheFailure.Insecure"/>).</exception>
    /// <exception cref="ProvenanceException">The pins kept in the cache contradict the account's (a substituted key).</exception>
    public static LocalCache Open(string path, UnlockedAccount account, AccountKeysResponse keys, KdfParameters kdf, LocalCacheOptions? options = null,
        TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(kdf);
        CheckKeysAreTheAccounts(account, keys);
        (LocalCache? cache, bool discarded) = TryOpenExisting(path, account);
        cache ??= Create(path, account, keys, kdf, discarded);
        try
        {
            cache.RecordOnlineUnlock(account, keys, kdf, options, clock);
            return cache;
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the cache with no server (PROTOCOL.md §7 "Offline access"): one 2SKD run with the KDF parameters of the last
    /// online sign-in opens the keyset and the cache key; the organisation's offline window since the last online unlock
    /// must not have passed; then the cached <c>account/keys</c> answer is verified again as it was at that unlock —
    /// organisation root against <paramref name="account"/>'s pinned fingerprint, certificates, revocation list, pins,
    /// group keys through signed wraps — so nothing unverified is read. The result is read-only.
    /// </summary>
    /// <param name="path">The cache file.</param>
    /// <param name="password">The account password.</param>
    /// <param name="secretKey">The Secret Key.</param>
    /// <param name="account">What this device remembers (member id, pinned organisation fingerprint, last iterations).</param>
    /// <param name="policy">The KDF policy; null is <see cref="KdfPolicy.Default"/>.</param>
    /// <param name="clock">The clock.</param>
    /// <exception cref="LocalCacheException">No cache, a damaged one, another member's, or offline access not allowed or expired.</exception>
    /// <exception cref="UnlockFailedException">The password or Secret Key is wrong.</exception>
    /// <exception cref="ProvenanceException">The cached keys no longer verify against the pinned organisation.</exception>
    public static OfflineUnlock OpenOffline(string path, string password, SecretKey secretKey, RememberedAccount account, KdfPolicy? policy = null,
        TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(secretKey);
        ArgumentNullException.ThrowIfNull(account);
        long now = (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        if (!System.IO.File.Exists(System.IO.Path.GetFullPath(path)))
        {
            throw new LocalCacheException(LocalCacheFailure.Missing, "There is no local cache on this device yet: sign in online once to make it.");
        }
        CacheFile file;
        try
        {
            file = CacheFile.Open(path, create: false);
        }
        catch (SqliteException e)
        {
            throw Unreadable(e);
        }
        LocalCache? cache = null;
        try
        {
            CacheBootstrap bootstrap = ReadBootstrap(file) ?? throw Unreadable(null);
            if (!string.Equals(bootstrap.MemberId, account.MemberId, StringComparison.Ordinal))
            {
                throw new LocalCacheException(LocalCacheFailure.OtherAccount, "The local cache at this path belongs to another member.");
            }
            if (!string.Equals(secretKey.AccountId, account.AccountId, StringComparison.Ordinal))
            {
                throw new UnlockFailedException(string.Create(CultureInfo.InvariantCulture,
                    $"This Secret Key belongs to account id {secretKey.AccountId}, not to {account.AccountId}: use the Secret Key on this account's Emergency Kit."));
            }
            using DerivedAccountKeys derived = AccountKeyDerivation.Derive(password, secretKey, account.MemberId, bootstrap.Kdf, policy,
                account.LastIterations > 0 ? account.LastIterations : null);
            using EnvelopeKey auk = derived.CreateAukKey();
            using (Keyset keyset = Keyset.OpenWithAuk(WireMapper.ToMemberKeyset(bootstrap.Keyset, "cached keyset"), auk) ?? throw new UnlockFailedException())
            {
                EnvelopeKey key = OpenCacheKey(keyset, account.MemberId, bootstrap) ?? throw Unreadable(null);
                cache = new LocalCache(file, key, bootstrap.SealedCacheKey, account.MemberId, offline: true, rebuilt: false);
            }
            StateRecord state = cache.ReadState() ?? throw Unreadable(null);
            cache._state = state;
            if (state.OfflineWindowMs <= 0)
            {
                throw new LocalCacheException(LocalCacheFailure.OfflineNotAllowed,
                    "Your organisation does not allow offline access: connect to the server to unlock.");
            }
            if (now - state.LastOnlineAt > state.OfflineWindowMs)
            {
                throw new LocalCacheException(LocalCacheFailure.OfflineWindowExpired, string.Create(CultureInfo.InvariantCulture,
                    $"Offline access ended {TimeSpan.FromMilliseconds(state.OfflineWindowMs).TotalHours:0.#} hours after your last online sign-in ({DateTimeOffset.FromUnixTimeMilliseconds(state.LastOnlineAt).UtcDateTime:yyyy-MM-dd HH:mm} UTC): connect to the server to unlock."));
            }
            AccountRecord record = cache.ReadAccount() ?? throw Unreadable(null);
            Pins pins = Pins.FromJson(JsonSerializer.SerializeToUtf8Bytes(state.Pins, CacheJsonContext.Default.JsonElement)) ?? throw Unreadable(null);
            // Verified again exactly as at the online unlock that stored it, so an issuer certificate that expired since does
            // not lock the person out, and nothing newer than that unlock is claimed.
            UnlockedAccount unlocked = AccountUnlock.WithAuk(record.Keys, auk, record.Kdf.Iterations, account, pins, new FixedClock(record.FetchedAt));
            return new OfflineUnlock(unlocked, cache);
        }
        catch (Exception e) when (e is JsonException or SqliteException)
        {
            DisposeAll(cache, file);
            throw Unreadable(e);
        }
        catch
        {
            DisposeAll(cache, file);
            throw;
        }
    }

    /// <summary>Deletes the cache at <paramref name="path"/> and its journal (sign-out, a remote wipe, a lost device).</summary>
    public static void Delete(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CacheFile.Delete(path);
    }

    /// <summary>
    /// Records an online unlock in an open cache (<see cref="Open"/> does it; call it again when a long-lived agent unlocks
    /// anew): the verified <c>account/keys</c> answer, the KDF parameters, the time and the offline window; the cache's pins
    /// are merged into the account's.
    /// </summary>
    /// <exception cref="ProvenanceException">The pins kept in the cache contradict the account's.</exception>
    public void RecordOnlineUnlock(UnlockedAccount account, AccountKeysResponse keys, KdfParameters kdf, LocalCacheOptions? options = null,
        TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(kdf);
        ThrowIfOffline();
        CheckKeysAreTheAccounts(account, keys);
        if (!string.Equals(account.MemberId, MemberId, StringComparison.Ordinal))
        {
            throw new ArgumentException("The account is not the cache's member.", nameof(account));
        }
        long now = (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        StateRecord? state = _state ?? ReadState();
        if (state is not null)
        {
            Pins kept = Pins.FromJson(JsonSerializer.SerializeToUtf8Bytes(state.Pins, CacheJsonContext.Default.JsonElement))
                ?? throw Unreadable(null);
            if (account.Pins.MergeFrom(kept) == PinCheck.Conflict)
            {
                throw new ProvenanceException(ProvenanceFailure.Mismatch,
                    "the keys this device verified before (kept in its local cache) and the keys the server presents now");
            }
        }
        KdfDto kdfDto = WireMapper.ToDto(kdf);
        _file.InTransaction(() =>
        {
            _file.SetHeader("bootstrap", JsonSerializer.Serialize(new CacheBootstrap(MemberId, kdfDto, keys.Keyset, _sealedKey),
                CacheJsonContext.Default.CacheBootstrap));
            PutSealed(AccountRecordName, JsonSerializer.SerializeToUtf8Bytes(new AccountRecord(keys, kdfDto, now), CacheJsonContext.Default.AccountRecord));
            _state = new StateRecord(PinsJson(account.Pins), now, (long)(options?.OfflineWindow ?? TimeSpan.Zero).TotalMilliseconds,
                state?.RestoreEpoch ?? account.Pins.RestoreEpoch);
            WriteState();
        });
    }

    /// <summary>Closes the file and zeroes the cache key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _file.Dispose();
        _key.Dispose();
    }

    // ---- what the library and the sync use ----

    /// <summary>Stores the pins (the highest versions seen) with the rest of the state.</summary>
    internal void SavePins(Pins pins, long? restoreEpoch = null)
    {
        ThrowIfOffline();
        _state = State with { Pins = PinsJson(pins), RestoreEpoch = restoreEpoch ?? State.RestoreEpoch };
        WriteState();
    }

    /// <summary>Every cached vault, by id.</summary>
    internal Dictionary<string, VaultRecord> Vaults()
    {
        Dictionary<string, VaultRecord> vaults = new(StringComparer.Ordinal);
        foreach ((string name, byte[] value) in _file.Records(VaultPrefix))
        {
            VaultRecord record = Deserialize(OpenSealed(name, value), CacheJsonContext.Default.VaultRecord, name);
            if (!string.Equals(VaultPrefix + record.Vault.Id, name, StringComparison.Ordinal))
            {
                throw Unreadable(null);
            }
            vaults[record.Vault.Id] = record;
        }
        return vaults;
    }

    internal void PutVault(VaultRecord record)
    {
        ThrowIfOffline();
        PutSealed(VaultPrefix + record.Vault.Id, JsonSerializer.SerializeToUtf8Bytes(record, CacheJsonContext.Default.VaultRecord));
    }

    /// <summary>Removes a vault and its items (its grant was taken away).</summary>
    internal void DeleteVault(string vaultId)
    {
        ThrowIfOffline();
        _file.InTransaction(() =>
        {
            _file.DeleteRecord(VaultPrefix + vaultId);
            _file.DeleteItemsOf(vaultId);
        });
    }

    /// <summary>Drops every vault, item and signer (their records did not open); the account and the pins stay.</summary>
    internal void ClearContent()
    {
        ThrowIfOffline();
        _file.InTransaction(() =>
        {
            _file.DeleteRecords(VaultPrefix);
            _file.DeleteRecords(SignerPrefix);
            _file.DeleteAllItems();
        });
        WasRebuilt = true;
    }

    internal ItemDto? Item(string itemId)
    {
        if (_file.Item(itemId) is not (string vaultId, byte[] value))
        {
            return null;
        }
        return OpenItem(vaultId, itemId, value);
    }

    /// <summary>The cached items of a vault, opened one by one as the caller goes.</summary>
    internal IEnumerable<ItemDto> ItemsOf(string vaultId)
    {
        foreach ((string itemId, byte[] value) in _file.ItemsOf(vaultId))
        {
            yield return OpenItem(vaultId, itemId, value);
        }
    }

    internal void PutItem(ItemDto item)
    {
        ThrowIfOffline();
        _file.PutItem(item.Id, item.VaultId, Seal(ItemRecord(item.VaultId, item.Id), JsonSerializer.SerializeToUtf8Bytes(item, CacheJsonContext.Default.ItemDto)));
    }

    internal void DeleteItem(string itemId)
    {
        ThrowIfOffline();
        _file.DeleteItem(itemId);
    }

    internal MemberCertificateResponse? Signer(string memberId)
    {
        string name = SignerPrefix + memberId;
        byte[]? value = _file.Record(name);
        return value is null ? null : Deserialize(OpenSealed(name, value), CacheJsonContext.Default.MemberCertificateResponse, name);
    }

    internal void PutSigner(string memberId, MemberCertificateResponse certificate)
    {
        ThrowIfOffline();
        PutSealed(SignerPrefix + memberId, JsonSerializer.SerializeToUtf8Bytes(certificate, CacheJsonContext.Default.MemberCertificateResponse));
    }

    /// <summary>The associated data of a record (PROTOCOL.md §4: local cache records).</summary>
    internal static string Context(string memberId, string record) => "coffer/cache/" + memberId + "/" + record;

    internal static string ItemRecord(string vaultId, string itemId) => "item/" + vaultId + "/" + itemId;

    // ---- opening and sealing ----

    private static (LocalCache? Cache, bool Discarded) TryOpenExisting(string path, UnlockedAccount account)
    {
        if (!System.IO.File.Exists(System.IO.Path.GetFullPath(path)))
        {
            return (null, false);
        }
        CacheFile? file = null;
        LocalCache? cache = null;
        try
        {
            file = CacheFile.Open(path, create: false);
            CacheBootstrap? bootstrap = ReadBootstrap(file);
            if (bootstrap is not null && string.Equals(bootstrap.MemberId, account.MemberId, StringComparison.Ordinal)
                && string.Equals(bootstrap.Keyset.KeysetId, account.Keyset.KeysetId, StringComparison.Ordinal) && bootstrap.Keyset.Serial == account.Keyset.Serial
                && OpenCacheKey(account.Keyset, account.MemberId, bootstrap) is EnvelopeKey key)
            {
                cache = new LocalCache(file, key, bootstrap.SealedCacheKey, account.MemberId, offline: false, rebuilt: false);
                cache._state = cache.ReadState();
                if (cache._state is not null && cache.ReadAccount() is not null)
                {
                    return (cache, false);
                }
            }
        }
        catch (Exception e) when (e is SqliteException or JsonException or CofferProtocolException
            or LocalCacheException { Failure: LocalCacheFailure.Corrupted })
        {
            // Damaged or not ours: it is only a cache, and the server has everything in it.
        }
        DisposeAll(cache, file);
        CacheFile.Delete(path);
        return (null, true);
    }

    private static LocalCache Create(string path, UnlockedAccount account, AccountKeysResponse keys, KdfParameters kdf, bool rebuilt)
    {
        CacheFile file = CacheFile.Open(path, create: true);
        EnvelopeKey key = EnvelopeKey.Generate(CacheKid(account.MemberId));
        try
        {
            Span<byte> raw = stackalloc byte[EnvelopeKey.KeyLength];
            Envelope sealedKey;
            try
            {
                key.CopyKeyTo(raw);
                sealedKey = account.Keyset.SymmetricKey.Seal(Context(account.MemberId, "key"), raw);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(raw);
            }
            Contracts.Common.EnvelopeDto sealedDto = WireMapper.ToDto(sealedKey);
            file.InTransaction(() =>
            {
                file.SetHeader("format", FormatName);
                file.SetHeader("bootstrap", JsonSerializer.Serialize(new CacheBootstrap(account.MemberId, WireMapper.ToDto(kdf), keys.Keyset, sealedDto),
                    CacheJsonContext.Default.CacheBootstrap));
            });
            return new LocalCache(file, key, sealedDto, account.MemberId, offline: false, rebuilt);
        }
        catch
        {
            key.Dispose();
            file.Dispose();
            throw;
        }
    }

    private static CacheBootstrap? ReadBootstrap(CacheFile file)
    {
        if (!string.Equals(file.Header("format"), FormatName, StringComparison.Ordinal) || file.Header("bootstrap") is not string json)
        {
            return null;
        }
        return JsonSerializer.Deserialize(json, CacheJsonContext.Default.CacheBootstrap);
    }

    private static EnvelopeKey? OpenCacheKey(Keyset keyset, string memberId, CacheBootstrap bootstrap)
    {
        Envelope sealedKey = WireMapper.ToEnvelope(bootstrap.SealedCacheKey, "cache key");
        byte[]? raw = keyset.SymmetricKey.Open(Context(memberId, "key"), sealedKey);
        if (raw is null)
        {
            return null;
        }
        try
        {
            return raw.Length == EnvelopeKey.KeyLength ? new EnvelopeKey(CacheKid(memberId), raw) : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    private StateRecord? ReadState()
    {
        byte[]? value = _file.Record(StateRecordName);
        return value is null ? null : Deserialize(OpenSealed(StateRecordName, value), CacheJsonContext.Default.StateRecord, StateRecordName);
    }

    private AccountRecord? ReadAccount()
    {
        byte[]? value = _file.Record(AccountRecordName);
        if (value is null)
        {
            return null;
        }
        byte[] json = OpenSealed(AccountRecordName, value);
        try
        {
            return Deserialize(json, CacheJsonContext.Default.AccountRecord, AccountRecordName);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    private void WriteState() =>
        PutSealed(StateRecordName, JsonSerializer.SerializeToUtf8Bytes(State, CacheJsonContext.Default.StateRecord));

    private ItemDto OpenItem(string vaultId, string itemId, byte[] value)
    {
        string name = ItemRecord(vaultId, itemId);
        ItemDto item = Deserialize(OpenSealed(name, value), CacheJsonContext.Default.ItemDto, name);
        if (!string.Equals(item.Id, itemId, StringComparison.Ordinal) || !string.Equals(item.VaultId, vaultId, StringComparison.Ordinal))
        {
            throw Unreadable(null);
        }
        return item;
    }

    private void PutSealed(string name, byte[] plaintext) => _file.PutRecord(name, Seal(name, plaintext));

    private byte[] Seal(string record, byte[] plaintext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            Envelope sealedRecord = _key.Seal(Context(MemberId, record), plaintext);
            byte[] blob = new byte[Envelope.IvLength + sealedRecord.Data.Length];
            sealedRecord.Iv.CopyTo(blob);
            sealedRecord.Data.CopyTo(blob.AsSpan(Envelope.IvLength));
            return blob;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private byte[] OpenSealed(string record, byte[] blob)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (blob.Length < Envelope.IvLength + Envelope.TagLength)
        {
            throw Unreadable(null);
        }
        Envelope sealedRecord = new(_key.Kid, Envelope.A256Gcm, blob.AsSpan(0, Envelope.IvLength), blob.AsSpan(Envelope.IvLength));
        return _key.Open(Context(MemberId, record), sealedRecord) ?? throw Unreadable(null);
    }

    private static T Deserialize<T>(byte[] json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string record)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw Unreadable(null);
        }
        catch (JsonException e)
        {
            throw new LocalCacheException(LocalCacheFailure.Corrupted, "The local cache's record " + record + " is not readable.", e);
        }
    }

    private static JsonElement PinsJson(Pins pins)
    {
        byte[] json = pins.ToJson();
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static void CheckKeysAreTheAccounts(UnlockedAccount account, AccountKeysResponse keys)
    {
        if (keys.Member is null || keys.Keyset is null || !string.Equals(keys.Member.MemberId, account.MemberId, StringComparison.Ordinal)
            || !string.Equals(keys.Keyset.KeysetId, account.Keyset.KeysetId, StringComparison.Ordinal) || keys.Keyset.Serial != account.Keyset.Serial)
        {
            throw new ArgumentException("The account keys are not the ones this account was unlocked from.", nameof(keys));
        }
    }

    private static string CacheKid(string memberId) => "cache:" + memberId;

    private void ThrowIfOffline()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsOffline)
        {
            throw new InvalidOperationException("The local cache was opened offline and is read-only.");
        }
    }

    private static LocalCacheException Unreadable(Exception? inner) =>
        new(LocalCacheFailure.Corrupted,
            "The local cache is damaged or was changed outside Coffer, so it cannot be used offline; connect to the server, which rebuilds it.", inner);

    private static void DisposeAll(LocalCache? cache, CacheFile? file)
    {
        if (cache is not null)
        {
            cache.Dispose();
        }
        else
        {
            file?.Dispose();
        }
    }

    /// <summary>A clock stopped at the moment something was verified, to verify it again as of then.</summary>
    private sealed class FixedClock(long unixMs) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
    }
}

/// <summary>What offline access gives: the account verified again from the cache, and the cache (read-only). Dispose to lock.</summary>
public sealed class OfflineUnlock : IDisposable
{
    internal OfflineUnlock(UnlockedAccount account, LocalCache cache)
    {
        Account = account;
        Cache = cache;
    }

    /// <summary>The account, unlocked from the cached keys (no session: nothing can be written).</summary>
    public UnlockedAccount Account { get; }

    /// <summary>The cache, read-only.</summary>
    public LocalCache Cache { get; }

    /// <summary>Zeroes the account's keys and closes the cache.</summary>
    public void Dispose()
    {
        Account.Dispose();
        Cache.Dispose();
    }
}

/// <summary>How the local cache may be used.</summary>
public sealed record LocalCacheOptions
{
    /// <summary>
    /// The organisation's offline-access window (PROTOCOL.md §7, POLICY.md): how long after the last online sign-in the
    /// cache may be opened without the server. Zero, the default: offline access is not allowed.
    /// </summary>
    public TimeSpan OfflineWindow { get; init; } = TimeSpan.Zero;
}
