using System.Globalization;
using System.Security.Authentication;
using Coffer.Cli.State;
using Coffer.Crypto.Accounts;
using Coffer.Sdk.Cache;
using Coffer.Sdk.Items;
using Coffer.Sdk.Vaults;

namespace Coffer.Cli.Agent;

/// <summary>
/// One unlocked account's items in the agent (docs/adr/0020-cli-items.md): the encrypted local cache under the account's
/// state directory, the <see cref="ItemLibrary"/> over it (overviews decrypted into an index, details opened on demand) and,
/// online, the <see cref="VaultClient"/> it syncs and writes through.
/// <para>
/// Freshness: the library is loaded from the cache and synced once in the background at unlock; after that, a read (list,
/// search, get) syncs first when the last sync is older than <see cref="Freshness"/>, and every write syncs its vault. Edits
/// do not sync first: their base version is the one the cache holds, so a change made elsewhere meanwhile is a conflict
/// (exit 6), never an edit lost. Syncs and writes run one at a time here, so the version an edit was computed from is the
/// version it is sent against. A read that cannot reach the server answers from the cache and says so.
/// </para>
/// Offline (<see cref="OpenOfflineAsync"/>) the library is read-only, as of the last sync.
/// </summary>
internal sealed class HostedLibrary : IDisposable
{
    /// <summary>How old the last sync may be before a read syncs again.</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(5);

    /// <summary>How many opened items a read keeps for the next read of the same version (docs/adr/0020, "Opened items").</summary>
    public const int OpenedCapacity = 64;

    public const string OfflineWriteMessage =
        "Offline (read-only): changes need the server. Run `coffer unlock` once it can be reached.";

    private readonly LocalCache? _cache;
    private readonly UnlockedSession? _session;
    private readonly VaultClient? _vaults;
    private readonly OfflineUnlock? _offline;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _work = new(1, 1);
    private readonly Task<ItemLibrary> _loading;
    private readonly Task _firstSync;
    private readonly Lock _openedLock = new();
    private readonly Dictionary<string, Opened> _opened = new(StringComparer.Ordinal);
    private long _openedUses;
    private long _syncedAtTicks = long.MinValue;
    private long _syncedAtMs;
    private int _disposed;

    private HostedLibrary(UnlockedSession session, LocalCache cache)
    {
        _session = session;
        _cache = cache;
        _vaults = new VaultClient(() => session.Session, session.Keys);
        _loading = Task.Run(() => ItemLibrary.LoadAsync(cache, session.Keys, _vaults, cancellationToken: _stop.Token));
        _firstSync = Task.Run(FirstSyncAsync);
    }

    private HostedLibrary(OfflineUnlock offline, ItemLibrary library)
    {
        _offline = offline;
        _loading = Task.FromResult(library);
        _firstSync = Task.CompletedTask;
    }

    public bool IsOffline => _offline is not null;

    /// <summary>The vault client (online only): for reads that need no serialising with the library (grants, history).</summary>
    public VaultClient Vaults => _vaults ?? throw new CliException(ExitCodes.Unreachable, OfflineWriteMessage);

    /// <summary>The session (online only), to run calls that sign in again if the server ended it.</summary>
    public UnlockedSession Session => _session ?? throw new CliException(ExitCodes.Unreachable, OfflineWriteMessage);

    /// <summary>
    /// Opens (or makes) the account's cache after an online unlock — recording the unlock and the offline window this
    /// device allows — and starts loading and syncing it in the background.
    /// </summary>
    /// <exception cref="Sdk.Errors.ProvenanceException">The keys this device verified before (kept in its cache) contradict the server's.</exception>
    /// <exception cref="LocalCacheException">The cache's directory is open to other users.</exception>
    public static HostedLibrary Open(UnlockedSession session, CofferHome home, TimeSpan offlineWindow)
    {
        ArgumentNullException.ThrowIfNull(session);
        string memberId = session.Account.MemberId;
        string path = home.CacheFile(memberId);
        home.EnsureDirectory(Path.GetDirectoryName(home.CacheDirectory(memberId))!);
        LocalCache cache = LocalCache.Open(path, session.Keys, session.ServedKeys ?? throw new InvalidOperationException("The unlock kept no keys."),
            session.Kdf, new LocalCacheOptions { OfflineWindow = offlineWindow });
        return new HostedLibrary(session, cache);
    }

    /// <summary>
    /// Unlocks from the cache with no server (PROTOCOL.md §7): one 2SKD run, the window since the last online unlock checked,
    /// everything verified again to the pinned organisation. Read-only.
    /// </summary>
    /// <exception cref="LocalCacheException">No cache, a damaged one, or offline access not allowed or over.</exception>
    /// <exception cref="Sdk.Errors.UnlockFailedException">Wrong password or Secret Key.</exception>
    public static async Task<HostedLibrary> OpenOfflineAsync(CofferHome home, StoredAccount account, string password, SecretKey secretKey,
        CancellationToken cancellationToken)
    {
        OfflineUnlock offline = LocalCache.OpenOffline(home.CacheFile(account.MemberId), password, secretKey, account.ToRemembered());
        try
        {
            ItemLibrary library = await ItemLibrary.LoadAsync(offline.Cache, offline.Account, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new HostedLibrary(offline, library);
        }
        catch
        {
            offline.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The library as loaded and first synced at unlock, without syncing again (edits take their base version from it).
    /// </summary>
    public async Task<ItemLibrary> LibraryAsync(CancellationToken cancellationToken)
    {
        await _firstSync.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The library, synced if the last sync is older than <see cref="Freshness"/>. When the server cannot be reached (or
    /// this is an offline unlock) it answers from the cache, with a notice saying as of when.
    /// </summary>
    public async Task<(ItemLibrary Library, string? Notice)> FreshAsync(CancellationToken cancellationToken)
    {
        ItemLibrary library = await LibraryAsync(cancellationToken).ConfigureAwait(false);
        if (IsOffline)
        {
            return (library, "Offline (read-only): showing what this device synced while last online" + Since(_offline!.Cache.LastOnlineAt) + ".");
        }
        if (IsFresh())
        {
            return (library, null);
        }
        await _work.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsFresh())
            {
                return (library, null);
            }
            try
            {
                await SyncAsync(library, cancellationToken).ConfigureAwait(false);
                return (library, null);
            }
            catch (Exception e) when (IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
            {
                long at = Interlocked.Read(ref _syncedAtMs);
                return (library, "Cannot reach the server: showing what this device synced"
                    + (at > 0 ? " at " + Local(DateTimeOffset.FromUnixTimeMilliseconds(at)) : " before") + ".");
            }
        }
        finally
        {
            _work.Release();
        }
    }

    /// <summary>
    /// An item opened for reading (get, history): the details opened from the cache the first time, then kept while the
    /// library holds that version, for at most <see cref="OpenedCapacity"/> items, the least recently read going first, and
    /// dropped at a sync or a change that leaves a kept item behind, and when the account locks (docs/adr/0020, "Opened
    /// items"). Callers only read what they get: an edit opens its own copy (<see cref="ItemLibrary.OpenItemAsync"/>).
    /// Permissions are checked by the caller on every read, never remembered here.
    /// </summary>
    public async Task<ItemContent?> ReadItemAsync(ItemLibrary library, ItemSummary summary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(library);
        ArgumentNullException.ThrowIfNull(summary);
        lock (_openedLock)
        {
            if (_opened.TryGetValue(summary.ItemId, out Opened? kept) && kept.Content.Summary.Version == summary.Version)
            {
                kept.LastUse = ++_openedUses;
                return kept.Content;
            }
        }
        ItemContent? content = await library.OpenItemAsync(summary.ItemId, cancellationToken).ConfigureAwait(false);
        if (content is not null)
        {
            lock (_openedLock)
            {
                if (_opened.Count >= OpenedCapacity && !_opened.ContainsKey(summary.ItemId))
                {
                    _ = _opened.Remove(_opened.MinBy(o => o.Value.LastUse).Key);
                }
                _opened[summary.ItemId] = new Opened(content) { LastUse = ++_openedUses };
            }
        }
        return content;
    }

    /// <summary>Drops kept items the library no longer holds at the kept version (changed, deleted, their vault gone).</summary>
    private void PruneOpened(ItemLibrary library)
    {
        lock (_openedLock)
        {
            foreach (string itemId in _opened.Where(o => library.Find(o.Key)?.Version != o.Value.Content.Summary.Version).Select(o => o.Key).ToList())
            {
                _ = _opened.Remove(itemId);
            }
        }
    }

    private sealed class Opened(ItemContent content)
    {
        public ItemContent Content { get; } = content;

        public long LastUse { get; set; }
    }

    /// <summary>
    /// Runs a change (online only) one at a time with syncs and other changes, on the current session (signed in again
    /// if the server ended it). The library syncs the vault it wrote to.
    /// </summary>
    /// <exception cref="CliException">Offline: read-only.</exception>
    public async Task<T> WriteAsync<T>(Func<ItemLibrary, Task<T>> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        UnlockedSession session = _session ?? throw new CliException(ExitCodes.Unreachable, OfflineWriteMessage);
        ItemLibrary library = await LibraryAsync(cancellationToken).ConfigureAwait(false);
        await _work.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await session.RunAsync(_ => change(library), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            PruneOpened(library);
            _work.Release();
        }
    }

    /// <summary>Syncs one vault now (after a conflict, so the next edit starts from what the server holds); failures are left to the next read.</summary>
    public async Task TrySyncVaultAsync(string vaultId, CancellationToken cancellationToken)
    {
        if (_session is null)
        {
            return;
        }
        ItemLibrary library = await LibraryAsync(cancellationToken).ConfigureAwait(false);
        await _work.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _session.RunAsync(_ => library.SyncVaultAsync(vaultId, cancellationToken), cancellationToken).ConfigureAwait(false);
            PruneOpened(library);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The conflict is what the person needs to hear about; the next read syncs again.
        }
        finally
        {
            _work.Release();
        }
    }

    /// <summary>Whether an exception means "the server could not be reached" rather than "the server refused".</summary>
    public static bool IsUnreachable(Exception e) => e switch
    {
        HttpRequestException { InnerException: AuthenticationException } => false,
        HttpRequestException => true,
        TaskCanceledException or TimeoutException => true,
        _ => false,
    };

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Cancel();
        lock (_openedLock)
        {
            _opened.Clear();
        }
        // Let a sync or write in flight finish (bounded); the semaphore is not released: nothing runs on this library again.
        _ = _work.Wait(TimeSpan.FromSeconds(5));
        try
        {
            // A sync in flight ends at its next await once cancelled; the cache must not close under it.
            Task.WaitAll([_loading, _firstSync], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Reported to whoever waits on them; nothing to do while closing.
        }
        if (_loading.IsCompletedSuccessfully)
        {
            _loading.Result.Dispose();
        }
        _vaults?.Dispose();
        _cache?.Dispose();
        _offline?.Dispose();
        _stop.Dispose();
        _work.Dispose();
    }

    private async Task FirstSyncAsync()
    {
        try
        {
            ItemLibrary library = await _loading.ConfigureAwait(false);
            await _work.WaitAsync(_stop.Token).ConfigureAwait(false);
            try
            {
                await SyncAsync(library, _stop.Token).ConfigureAwait(false);
            }
            finally
            {
                _work.Release();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever went wrong is met again, and reported, by the first read that syncs.
        }
    }

    private async Task SyncAsync(ItemLibrary library, CancellationToken cancellationToken)
    {
        await _session!.RunAsync(_ => library.SyncAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        PruneOpened(library);
        Volatile.Write(ref _syncedAtTicks, Environment.TickCount64);
        Interlocked.Exchange(ref _syncedAtMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    private bool IsFresh()
    {
        long at = Volatile.Read(ref _syncedAtTicks);
        return at != long.MinValue && Environment.TickCount64 - at < (long)Freshness.TotalMilliseconds;
    }

    // The cache records the last online unlock, not the last sync: what it holds was synced at or after that.
    private static string Since(DateTimeOffset lastOnline) => lastOnline.ToUnixTimeMilliseconds() > 0 ? " (unlocked online " + Local(lastOnline) + ")" : "";

    private static string Local(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}

/// <summary>An account unlocked from its local cache with no server: read-only, no session.</summary>
internal sealed class OfflineAccount(StoredAccount account, HostedLibrary items) : IDisposable
{
    public const string NeedsServerMessage =
        "Unlocked offline (read-only): this needs the server. Run `coffer unlock` once it can be reached.";

    public string MemberId => Account.MemberId;

    public StoredAccount Account { get; } = account;

    public HostedLibrary Items { get; } = items;

    public void Dispose() => Items.Dispose();
}
