namespace Coffer.Sdk.Sync;

/// <summary>What a sync did (PROTOCOL.md §9).</summary>
/// <param name="VaultsSynced">Vaults whose changes were pulled (or found unchanged).</param>
/// <param name="ItemsChanged">Items added or changed in the cache.</param>
/// <param name="ItemsDeleted">Items removed from the cache (sealed tombstones, or gone in a full resync).</param>
/// <param name="VaultsRemoved">Vaults no longer served to this member (grant taken away): purged from the cache.</param>
/// <param name="VaultsResynced">Vaults read again from the start: their cursor was older than the server keeps deletions (410), or the server was restored.</param>
public sealed record SyncReport(int VaultsSynced, int ItemsChanged, int ItemsDeleted, IReadOnlyList<string> VaultsRemoved, IReadOnlyList<string> VaultsResynced)
{
    /// <summary>Nothing synced.</summary>
    public static SyncReport Empty { get; } = new(0, 0, 0, [], []);
}
