using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Keys;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Cache;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Sync;
using Coffer.Sdk.Vaults;
using Microsoft.Data.Sqlite;

namespace Coffer.Sdk.Items;

/// <summary>
/// A member's items as a long-lived client (the CLI's agent) holds them (PROTOCOL.md §9): the encrypted local cache, the
/// overviews of every cached item decrypted into an in-memory index for lists and search, and details opened only when
/// asked for. Online (with a <see cref="VaultClient"/>) it syncs every vault into the cache (<see cref="SyncAsync"/>, or
/// <see cref="SyncVaultAsync"/> when the event stream announces a vault) and writes typed items, validated first;
/// offline (a cache from <see cref="LocalCache.OpenOffline"/>) it is read-only, as of the last sync.
/// <para>
/// Thread-safe: searches run alongside everything else and see the index before or after each vault's sync; syncs,
/// writes and opens run one at a time. Make other changes with the <see cref="VaultClient"/> (a new vault, a share, a
/// rotation) through <see cref="RunAsync"/>, which runs them in turn with the library's work and syncs after. Every refusal of the server's data — a version lower than this account has seen, an
/// envelope that does not open under its context, a sealed flag the server's mirror contradicts — is a
/// <see cref="CofferProtocolException"/> (or a <see cref="ProvenanceException"/> for keys), and the cache keeps what it had.
/// </para>
/// </summary>
public sealed class ItemLibrary : IDisposable
{
    private readonly LocalCache _cache;
    private readonly UnlockedAccount _account;
    private readonly VaultClient? _vaults;
    private readonly ItemLibraryOptions _options;
    private readonly TimeProvider _clock;
    private readonly ItemIndex _index = new();
    private readonly Dictionary<string, VaultState> _states = new(StringComparer.Ordinal);
    private readonly VaultKeyring _reader;
    private readonly VaultSync? _sync;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _statesLock = new();
    private bool _disposed;

    private ItemLibrary(LocalCache cache, UnlockedAccount account, VaultClient? vaults, ItemLibraryOptions options, TimeProvider clock)
    {
        _cache = cache;
        _account = account;
        _vaults = vaults;
        _options = options;
        _clock = clock;
        // Cached vaults are opened by a keyring of their own whose signers' certificates come from the cache (verified
        // again here), so reading needs no server; what the server sends now goes through the VaultClient's.
        _reader = new VaultKeyring(account, SignerCertificateAsync);
        if (vaults is not null)
        {
            _sync = new VaultSync(vaults, cache, _index, _states, _statesLock, options.PageSize) { Purged = _reader.Forget };
        }
    }

    /// <summary>True offline (or without a <see cref="VaultClient"/>): nothing can be synced or written.</summary>
    public bool IsReadOnly => _sync is null;

    /// <summary>The cache underneath.</summary>
    public LocalCache Cache => _cache;

    /// <summary>The cached vaults, by name.</summary>
    public IReadOnlyList<VaultSummary> Vaults
    {
        get
        {
            lock (_statesLock)
            {
                return [.. _states.Values.Select(s => s.Summary).OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.VaultId, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The summary of one vault the library holds, or null when it holds no such vault.</summary>
    public VaultSummary? Vault(string vaultId)
    {
        ArgumentNullException.ThrowIfNull(vaultId);
        lock (_statesLock)
        {
            return _states.TryGetValue(vaultId, out VaultState? state) ? state.Summary : null;
        }
    }

    /// <summary>How many items the index holds.</summary>
    public int Count => _index.Count;

    /// <summary>
    /// Opens the library over <paramref name="cache"/>: every cached vault's key (through its signed grant, verified again),
    /// every cached item's overview decrypted into the index. Online, a cache whose records do not open is emptied (the next
    /// <see cref="SyncAsync"/> fills it again) and a vault whose grant no longer verifies is dropped for the sync to judge;
    /// offline either is an error.
    /// </summary>
    /// <param name="cache">The open cache.</param>
    /// <param name="account">The unlocked account (from the online unlock, or from <see cref="OfflineUnlock.Account"/>).</param>
    /// <param name="vaults">The account's vault client, online; null for a read-only library (always so offline).</param>
    /// <param name="options">Page size and the item size cap.</param>
    /// <param name="clock">The clock (for <see cref="ItemOverview.UpdatedAt"/> and password history).</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <exception cref="LocalCacheException">Offline, the cache is damaged.</exception>
    public static async Task<ItemLibrary> LoadAsync(LocalCache cache, UnlockedAccount account, VaultClient? vaults = null, ItemLibraryOptions? options = null,
        TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(account);
        if (!string.Equals(cache.MemberId, account.MemberId, StringComparison.Ordinal))
        {
            throw new ArgumentException("The cache belongs to another member.", nameof(cache));
        }
        if (cache.IsOffline && vaults is not null)
        {
            throw new ArgumentException("A cache opened offline is read-only: pass no vault client.", nameof(vaults));
        }
        ItemLibrary library = new(cache, account, vaults, options ?? new ItemLibraryOptions(), clock ?? TimeProvider.System);
        try
        {
            await library.LoadCachedAsync(cancellationToken).ConfigureAwait(false);
            return library;
        }
        catch (Exception e) when (IsDamage(e) && !cache.IsOffline)
        {
            // Only a cache: start it again and let the sync refill it from the server.
            library.ForgetAll();
            cache.ClearContent();
            return library;
        }
        catch (Exception e) when (IsDamage(e))
        {
            library.Dispose();
            throw e as LocalCacheException ?? new LocalCacheException(LocalCacheFailure.Corrupted,
                "The local cache is damaged or was changed outside Coffer, so it cannot be used offline; connect to the server, which rebuilds it.", e);
        }
        catch
        {
            library.Dispose();
            throw;
        }
    }

    /// <summary>Searches the decrypted overviews (never the details); see <see cref="ItemQuery"/> for the rules.</summary>
    public IReadOnlyList<ItemSummary> Search(ItemQuery query) => _index.Search(query);

    /// <summary>
    /// The items titled <paramref name="title"/>, compared after case and compatibility folding as search does, in every
    /// vault and state; a lookup in the index, not a scan.
    /// </summary>
    public IReadOnlyList<ItemSummary> WithTitle(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        return _index.WithTitle(title);
    }

    /// <summary>The summary of an item, or null when the library has no such item.</summary>
    public ItemSummary? Find(string itemId)
    {
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        return _index.Find(itemId);
    }

    /// <summary>
    /// Opens an item's details (on demand, from the cache: offline too). Null when the library has no such item. Online, an
    /// item the cache holds under an older vault key than the vault's is synced first.
    /// </summary>
    /// <exception cref="CofferProtocolException">The details do not open or are not item JSON.</exception>
    public async Task<ItemContent?> OpenItemAsync(string itemId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                if (_index.Find(itemId) is not ItemSummary summary || State(summary.VaultId) is not VaultState state || _cache.Item(itemId) is not ItemDto item)
                {
                    return null;
                }
                VaultKey key = await _reader.KeyAsync(state.Record.Vault, cancellationToken).ConfigureAwait(false);
                if (item.VaultKeySerial != key.Serial && _sync is not null && attempt == 0)
                {
                    await _sync.SyncVaultAsync(summary.VaultId, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                return new ItemContent(summary, summary.CloneOverview(), ItemOpening.Details(key, item));
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The versions of an item the server keeps, newest first, each with its overview opened when it is sealed under the vault
    /// key the library holds. A version written before a rotation of the vault key is under the earlier key, which a client
    /// does not keep: it comes without an overview. Details are never opened here. Online only; clients show history only to
    /// members whose grant has <c>view_item_history</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The library has no such item.</exception>
    /// <exception cref="InvalidOperationException">The library is read-only.</exception>
    /// <exception cref="CofferProtocolException">A version names another item or vault, or does not open under the key it names.</exception>
    public async Task<IReadOnlyList<ItemVersion>> HistoryAsync(string itemId, CancellationToken cancellationToken = default)
    {
        ItemSummary summary = Find(itemId) ?? throw new ArgumentException("The library has no item with this id.", nameof(itemId));
        VaultClient vaults = _vaults ?? throw new InvalidOperationException("This library is read-only (offline, or opened without a vault client).");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<ItemDto> versions = await vaults.ItemHistoryAsync(summary.VaultId, itemId, cancellationToken).ConfigureAwait(false);
            VaultState state = State(summary.VaultId) ?? throw new ArgumentException("The library has no item with this id.", nameof(itemId));
            VaultKey key = await _reader.KeyAsync(state.Record.Vault, cancellationToken).ConfigureAwait(false);
            List<ItemVersion> result = [];
            foreach (ItemDto version in versions)
            {
                if (!string.Equals(version.Id, itemId, StringComparison.Ordinal) || !string.Equals(version.VaultId, summary.VaultId, StringComparison.Ordinal))
                {
                    throw new CofferProtocolException(ItemOpening.Subject(summary.VaultId, itemId) + "'s history holds another item's version.");
                }
                ItemSummary? opened = version.VaultKeySerial == key.Serial ? ItemOpening.Summary(key, version) : null;
                result.Add(new ItemVersion(version.Version, DateTimeOffset.FromUnixTimeMilliseconds(version.UpdatedAt), version.VaultKeySerial, opened));
            }
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Pulls every visible vault's changes into the cache (PROTOCOL.md §9): new and changed items, sealed tombstones, a
    /// vault-key rotation (accepted through its succession), a full resync where the cursor expired, and the purge of vaults
    /// no longer served. The server's restore epoch is checked first.
    /// </summary>
    /// <exception cref="ServerRestoredException">The server was restored since; acknowledge it (<see cref="Restores.RestoreEpochCheck.Acknowledge"/>) and sync again.</exception>
    /// <exception cref="CofferProtocolException">The server sent something refused (a rollback, an envelope that does not open, …).</exception>
    /// <exception cref="ProvenanceException">A key or certificate could not be verified.</exception>
    public Task<SyncReport> SyncAsync(CancellationToken cancellationToken = default) =>
        Serialised(sync => sync.SyncAllAsync(cancellationToken), cancellationToken);

    /// <summary>Pulls one vault's changes (say, after the event stream announced it); a vault no longer served is purged.</summary>
    /// <exception cref="ServerRestoredException">The server was restored since.</exception>
    /// <exception cref="CofferProtocolException">The server sent something refused.</exception>
    public Task<SyncReport> SyncVaultAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        return Serialised(sync => sync.SyncVaultAsync(vaultId, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Creates an item (version 1) in a vault: <see cref="ItemOverview.UpdatedAt"/> set to now, validated
    /// (<see cref="ItemValidation"/>, with the cap of <see cref="ItemLibraryOptions.MaximumItemBytes"/>), sealed under a fresh
    /// item key, sent, then the vault synced. The arguments are not changed.
    /// </summary>
    /// <exception cref="ItemValidationException">The item may not be written as it is; nothing was sent.</exception>
    /// <exception cref="CofferApiException">The server refused (no <c>create_items</c>, …).</exception>
    public Task<ItemSummary> CreateAsync(string vaultId, ItemOverview overview, ItemDetails details, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        (byte[] o, byte[] d) = Prepare(overview, details);
        return WriteAsync(vaultId, async vaults => (await vaults.CreateItemAsync(vaultId, o, d, cancellationToken).ConfigureAwait(false)).Id, o, d,
            cancellationToken);
    }

    /// <summary>
    /// Stores a new version of an item made from the version the library holds: <see cref="ItemOverview.UpdatedAt"/> set to
    /// now, a password that changed since that version moved into <see cref="ItemDetails.PasswordHistory"/>, validated,
    /// sealed under a fresh item key, sent, then the vault synced. Unknown keys of the arguments are written as they are.
    /// </summary>
    /// <exception cref="ItemValidationException">The item may not be written as it is; nothing was sent.</exception>
    /// <exception cref="CofferApiException">409 <c>item-version-conflict</c>: someone changed it first; sync and edit again.</exception>
    public async Task<ItemSummary> UpdateAsync(string itemId, ItemOverview overview, ItemDetails details, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(details);
        ItemContent current = await OpenItemAsync(itemId, cancellationToken).ConfigureAwait(false)
            ?? throw new ArgumentException("The library has no item with this id.", nameof(itemId));
        ItemDetails edited = details.Clone();
        edited.RecordPasswordChange(current.Details, _clock.GetUtcNow());
        (byte[] o, byte[] d) = Prepare(overview, edited);
        ItemSummary summary = current.Summary;
        return await WriteAsync(summary.VaultId, async vaults =>
        {
            await vaults.UpdateItemAsync(summary.VaultId, itemId, summary.Version, o, d, cancellationToken).ConfigureAwait(false);
            return itemId;
        }, o, d, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Archives an item (needs <c>archive_items</c>), then syncs its vault.</summary>
    public Task<ItemSummary> ArchiveAsync(string itemId, CancellationToken cancellationToken = default) =>
        ChangeStateAsync(itemId, (vaults, vaultId) => vaults.ArchiveItemAsync(vaultId, itemId, cancellationToken), cancellationToken);

    /// <summary>Moves an item to the trash (needs <c>delete_items</c>), then syncs its vault.</summary>
    public Task<ItemSummary> TrashAsync(string itemId, CancellationToken cancellationToken = default) =>
        ChangeStateAsync(itemId, (vaults, vaultId) => vaults.TrashItemAsync(vaultId, itemId, cancellationToken), cancellationToken);

    /// <summary>Restores an item from the trash or the archive, then syncs its vault.</summary>
    public Task<ItemSummary> RestoreAsync(string itemId, CancellationToken cancellationToken = default) =>
        ChangeStateAsync(itemId, (vaults, vaultId) => vaults.RestoreItemAsync(vaultId, itemId, cancellationToken), cancellationToken);

    /// <summary>Deletes an item for good (a sealed tombstone; needs <c>delete_items</c>), then syncs its vault.</summary>
    public async Task DeleteAsync(string itemId, CancellationToken cancellationToken = default)
    {
        ItemSummary summary = Find(itemId) ?? throw new ArgumentException("The library has no item with this id.", nameof(itemId));
        await Serialised(async sync =>
        {
            await _vaults!.DeleteItemAsync(summary.VaultId, itemId, summary.Version, cancellationToken).ConfigureAwait(false);
            return await sync.SyncVaultAsync(summary.VaultId, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs an operation of the vault client — create a vault, share or unshare one, rotate its key — one at a time with
    /// this library's own syncs and writes (they share the account's pins, which are not thread-safe), then syncs every
    /// vault so the cache and the index show its effect. Returns what the operation returned.
    /// </summary>
    /// <exception cref="InvalidOperationException">The library is read-only.</exception>
    public async Task<T> RunAsync<T>(Func<VaultClient, Task<T>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        T result = default!;
        await Serialised(async sync =>
        {
            result = await operation(_vaults!).ConfigureAwait(false);
            return await sync.SyncAllAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Zeroes the vault keys this library opened (the cache, account and vault client stay the caller's).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _reader.Dispose();
        _gate.Dispose();
    }

    private async Task LoadCachedAsync(CancellationToken cancellationToken)
    {
        Dictionary<string, VaultRecord> records = _cache.Vaults();
        if (_cache.File.VaultsWithItems().Any(id => !records.ContainsKey(id)))
        {
            throw new LocalCacheException(LocalCacheFailure.Corrupted, "The local cache holds items of a vault it does not hold.");
        }
        foreach (VaultRecord record in records.Values)
        {
            VaultKey key;
            try
            {
                key = await _reader.KeyAsync(record.Vault, cancellationToken).ConfigureAwait(false);
            }
            catch (ProvenanceException) when (!_cache.IsOffline && _sync is not null)
            {
                // Its grant no longer verifies here (a signer revoked since, say): the sync decides, from what the server says now.
                _cache.DeleteVault(record.Vault.Id);
                continue;
            }
            if (key.Serial != record.Vault.KeySerial)
            {
                throw new LocalCacheException(LocalCacheFailure.Corrupted, "A cached vault is not under the key it names.");
            }
            VaultSummary summary = VaultSync.Summarise(record, key);
            List<ItemSummary> items = [.. _cache.ItemsOf(record.Vault.Id).Select(item => ItemOpening.Summary(key, item))];
            if (items.Count != record.ItemCount)
            {
                throw new LocalCacheException(LocalCacheFailure.Corrupted, "A cached vault has lost or gained items outside Coffer.");
            }
            _index.PutAll(items);
            lock (_statesLock)
            {
                _states[record.Vault.Id] = new VaultState(record, summary);
            }
        }
    }

    private async Task<ItemSummary> WriteAsync(string vaultId, Func<VaultClient, Task<string>> write, byte[] overview, byte[] details,
        CancellationToken cancellationToken)
    {
        string? itemId = null;
        try
        {
            await Serialised(async sync =>
            {
                itemId = await write(_vaults!).ConfigureAwait(false);
                return await sync.SyncVaultAsync(vaultId, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(overview);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(details);
        }
        return _index.Find(itemId!) ?? throw new CofferProtocolException("The item just written is not in the vault's changes.");
    }

    private async Task<ItemSummary> ChangeStateAsync(string itemId, Func<VaultClient, string, Task<ItemDto>> change, CancellationToken cancellationToken)
    {
        ItemSummary summary = Find(itemId) ?? throw new ArgumentException("The library has no item with this id.", nameof(itemId));
        await Serialised(async sync =>
        {
            await change(_vaults!, summary.VaultId).ConfigureAwait(false);
            return await sync.SyncVaultAsync(summary.VaultId, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return _index.Find(itemId) ?? throw new CofferProtocolException("The item just changed is not in the vault's changes.");
    }

    private (byte[] Overview, byte[] Details) Prepare(ItemOverview overview, ItemDetails details)
    {
        ArgumentNullException.ThrowIfNull(overview);
        ArgumentNullException.ThrowIfNull(details);
        if (_sync is null)
        {
            throw new InvalidOperationException("This library is read-only (offline, or opened without a vault client).");
        }
        ItemOverview stamped = overview.Clone();
        stamped.UpdatedAt = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        ItemValidation.Validate(stamped, details, _options.MaximumItemBytes);
        return (stamped.ToJson(), details.ToJson());
    }

    private async Task<SyncReport> Serialised(Func<VaultSync, Task<SyncReport>> work, CancellationToken cancellationToken)
    {
        VaultSync sync = _sync ?? throw new InvalidOperationException("This library is read-only (offline, or opened without a vault client).");
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work(sync).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private VaultState? State(string vaultId)
    {
        lock (_statesLock)
        {
            return _states.GetValueOrDefault(vaultId);
        }
    }

    private void ForgetAll()
    {
        _index.Clear();
        lock (_statesLock)
        {
            _states.Clear();
        }
    }

    private Task<MemberCertificateResponse> SignerCertificateAsync(string memberId, CancellationToken cancellationToken)
    {
        if (_cache.Signer(memberId) is MemberCertificateResponse kept)
        {
            return Task.FromResult(kept);
        }
        if (_vaults is not null)
        {
            return _vaults.FetchCertificateAsync(memberId, cancellationToken);
        }
        throw new LocalCacheException(LocalCacheFailure.Corrupted,
            "The local cache lacks the certificate of member " + memberId + ", who shared a vault with you; connect to the server to sync.");
    }

    private static bool IsDamage(Exception e) =>
        e is SqliteException or LocalCacheException { Failure: LocalCacheFailure.Corrupted } or CofferProtocolException
            && e is not ProvenanceException;
}

/// <summary>How an <see cref="ItemLibrary"/> syncs and what it writes.</summary>
public sealed record ItemLibraryOptions
{
    /// <summary>Changes per sync page (server default 500, at most 1000); null: the server's default.</summary>
    public int? PageSize { get; init; }

    /// <summary>The organisation's cap on overview plus details, in bytes (POLICY.md: 64 KiB).</summary>
    public int MaximumItemBytes { get; init; } = ItemValidation.DefaultMaximumBytes;
}
