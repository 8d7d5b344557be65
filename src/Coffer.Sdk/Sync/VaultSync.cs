using System.Globalization;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Cache;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Items;
using Coffer.Sdk.Restores;
using Coffer.Sdk.Vaults;

namespace Coffer.Sdk.Sync;

/// <summary>
/// Delta sync of every vault this member sees into the local cache (PROTOCOL.md §9). Per vault: its key through
/// <see cref="VaultClient"/>'s rules (signed grants, successions), then the pages of changes since the cursor, each item
/// opened (overview under its context, details envelope naming this item and version, the server's archived/trashed
/// mirror agreeing with the sealed overview) and each tombstone opened, every version checked against the pins — a
/// lower item or vault version or vault-key serial than this account has seen is refused — and all of it committed to the
/// cache in one transaction with the new cursor, so the cache never holds half a vault. A cursor past the tombstone
/// retention (410) resyncs the vault from 0, dropping what the full listing no longer has; a vault no longer served is
/// purged. The server's restore epoch is checked first (docs/adr/0013). Not thread-safe: <see cref="ItemLibrary"/> serialises it.
/// </summary>
internal sealed class VaultSync(VaultClient vaults, LocalCache cache, ItemIndex index, Dictionary<string, VaultState> states, Lock statesLock,
    int? pageSize)
{
    private readonly VaultKeyring _keyring = vaults.Keyring;
    private readonly Pins _pins = vaults.Keyring.Account.Pins;

    /// <summary>Called when a vault leaves the cache (its key is no longer held).</summary>
    public Action<string>? Purged { get; init; }

    public async Task<SyncReport> SyncAllAsync(CancellationToken cancellationToken)
    {
        Counters counters = new();
        bool fromScratch = await CheckRestoreEpochAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<VaultDto> served = await vaults.ListVaultsAsync(cancellationToken).ConfigureAwait(false);
        HashSet<string> ids = new(served.Select(v => v.Id), StringComparer.Ordinal);
        List<string> held;
        lock (statesLock)
        {
            held = [.. states.Keys];
        }
        foreach (string gone in held.Concat(cache.Vaults().Keys).Where(id => !ids.Contains(id)).Distinct(StringComparer.Ordinal).ToList())
        {
            Purge(gone, counters);
        }
        foreach (VaultDto vault in served)
        {
            await SyncOneAsync(vault, fromScratch, counters, cancellationToken).ConfigureAwait(false);
        }
        Finish(fromScratch, counters);
        return counters.Report();
    }

    public async Task<SyncReport> SyncVaultAsync(string vaultId, CancellationToken cancellationToken)
    {
        bool fromScratch = await CheckRestoreEpochAsync(cancellationToken).ConfigureAwait(false);
        if (fromScratch)
        {
            // Versions after a restore repeat ones seen before it: every vault starts again, not only this one.
            return await SyncAllAsync(cancellationToken).ConfigureAwait(false);
        }
        Counters counters = new();
        VaultDto vault;
        try
        {
            vault = await vaults.GetVaultAsync(vaultId, cancellationToken).ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.Status == 404)
        {
            Purge(vaultId, counters);
            Finish(false, counters);
            return counters.Report();
        }
        await SyncOneAsync(vault, false, counters, cancellationToken).ConfigureAwait(false);
        Finish(false, counters);
        return counters.Report();
    }

    /// <summary>True when a restore was acknowledged since the cache was filled, so every cursor is void (docs/adr/0013).</summary>
    private async Task<bool> CheckRestoreEpochAsync(CancellationToken cancellationToken)
    {
        await RestoreEpochCheck.CheckAsync(vaults.Session.Connection, _pins, cancellationToken).ConfigureAwait(false);
        return _pins.RestoreEpoch != cache.RestoreEpoch;
    }

    private void Finish(bool fromScratch, Counters counters)
    {
        if (fromScratch || counters.Dirty)
        {
            cache.SavePins(_pins, _pins.RestoreEpoch);
        }
    }

    private async Task SyncOneAsync(VaultDto vault, bool fromScratch, Counters counters, CancellationToken cancellationToken)
    {
        string vaultId = vault.Id;
        VaultKey key = await KeyForAsync(vault, cancellationToken).ConfigureAwait(false);
        Refuse(_pins.ObserveVaultVersion(vaultId, vault.ContentVersion), vaultId, "content version");
        VaultState? state;
        lock (statesLock)
        {
            state = states.GetValueOrDefault(vaultId);
        }
        long cursor = fromScratch || state is null ? 0 : state.Record.Cursor;
        if (state is not null && cursor > 0 && cursor == vault.ContentVersion)
        {
            // Nothing changed since the cursor: keep the vault as served now (a grant may have been re-wrapped) and ask no page.
            using (CacheFile.Transaction unchanged = cache.File.Begin())
            {
                await RememberSignerAsync(vault, cancellationToken).ConfigureAwait(false);
                VaultRecord same = state.Record with { Vault = vault };
                VaultSummary sameSummary = Summarise(same, key);
                cache.PutVault(same);
                unchanged.Commit();
                lock (statesLock)
                {
                    states[vaultId] = new VaultState(same, sameSummary);
                }
            }
            counters.Synced++;
            return;
        }
        bool replacesAll = cursor == 0;
        List<ItemSummary> upserts = [];
        List<string> deletions = [];
        HashSet<string> listed = new(StringComparer.Ordinal);
        using CacheFile.Transaction transaction = cache.File.Begin();
        await RememberSignerAsync(vault, cancellationToken).ConfigureAwait(false);
        ItemListResponse page;
        do
        {
            try
            {
                page = await vaults.ListChangesAsync(vaultId, cursor, pageSize, cancellationToken).ConfigureAwait(false);
            }
            catch (CofferApiException e) when (e.Status == 410 && e.Type == ErrorTypes.CursorExpired && cursor > 0 && !replacesAll)
            {
                // Deletions older than the cursor are gone from the server: only a full listing says what is left.
                transaction.Dispose();
                counters.Resynced.Add(vaultId);
                await SyncOneAsync(vault, true, counters, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (CofferApiException e) when (e.Status == 404)
            {
                transaction.Dispose();
                Purge(vaultId, counters);
                return;
            }
            Refuse(_pins.ObserveVaultVersion(vaultId, page.ContentVersion), vaultId, "content version");
            if (page.NextSince < cursor || (page.HasMore && page.NextSince == cursor))
            {
                throw new CofferProtocolException("The server's sync cursor for vault " + vaultId + " did not move forward.");
            }
            foreach (ItemDto item in page.Items)
            {
                if (!string.Equals(item.VaultId, vaultId, StringComparison.Ordinal))
                {
                    throw new CofferProtocolException("The server listed an item of another vault among the changes of vault " + vaultId + ".");
                }
                if (item.VaultKeySerial > key.Serial)
                {
                    (vault, key) = await RefreshAsync(vaultId, cancellationToken).ConfigureAwait(false);
                }
                RefuseOlder(vaultId, item.Id, item.Version);
                ItemSummary summary = ItemOpening.Summary(key, item);
                cache.PutItem(item);
                _pins.ObserveItemVersion(item.Id, item.Version);
                upserts.Add(summary);
                listed.Add(item.Id);
            }
            foreach (TombstoneDto tombstone in page.Tombstones)
            {
                if (tombstone.VaultKeySerial > key.Serial)
                {
                    (vault, key) = await RefreshAsync(vaultId, cancellationToken).ConfigureAwait(false);
                }
                RefuseOlder(vaultId, tombstone.Id, tombstone.Version);
                ItemOpening.Tombstone(key, vaultId, tombstone);
                cache.DeleteItem(tombstone.Id);
                _pins.ObserveItemVersion(tombstone.Id, tombstone.Version);
                deletions.Add(tombstone.Id);
            }
            cursor = page.NextSince;
        }
        while (page.HasMore);
        if (replacesAll)
        {
            foreach (string stale in cache.File.ItemIdsOf(vaultId).Where(id => !listed.Contains(id)).ToList())
            {
                cache.DeleteItem(stale);
                deletions.Add(stale);
            }
        }
        VaultRecord record = new(vault, cursor, cache.File.CountItems(vaultId));
        VaultSummary vaultSummary = Summarise(record, key);
        cache.PutVault(record);
        transaction.Commit();

        index.PutAll(upserts);
        foreach (string deleted in deletions)
        {
            index.Remove(deleted);
        }
        lock (statesLock)
        {
            states[vaultId] = new VaultState(record, vaultSummary);
        }
        counters.Synced++;
        counters.Changed += upserts.Count;
        counters.Deleted += deletions.Count;
        counters.Dirty |= upserts.Count > 0 || deletions.Count > 0 || state?.Record.Vault.ContentVersion != record.Vault.ContentVersion;
    }

    /// <summary>The vault's current key, taken by the keyring's rules and checked against the serial pinned.</summary>
    private async Task<VaultKey> KeyForAsync(VaultDto vault, CancellationToken cancellationToken)
    {
        int serial = checked((int)vault.KeySerial);
        Refuse(_pins.ObserveVaultKeySerial(vault.Id, serial), vault.Id, "key serial");
        VaultKey key = await _keyring.KeyAsync(vault, cancellationToken).ConfigureAwait(false);
        if (key.Serial != serial)
        {
            throw new CofferProtocolException(string.Create(CultureInfo.InvariantCulture,
                $"The server says vault {vault.Id} is at key serial {serial}, below the {key.Serial} this client holds; refusing to go back."));
        }
        return key;
    }

    /// <summary>An item sealed under a newer key than the vault read: the vault was rotated meanwhile; read it again.</summary>
    private async Task<(VaultDto Vault, VaultKey Key)> RefreshAsync(string vaultId, CancellationToken cancellationToken)
    {
        VaultDto fresh = await vaults.GetVaultAsync(vaultId, cancellationToken).ConfigureAwait(false);
        VaultKey key = await KeyForAsync(fresh, cancellationToken).ConfigureAwait(false);
        Refuse(_pins.ObserveVaultVersion(vaultId, fresh.ContentVersion), vaultId, "content version");
        await RememberSignerAsync(fresh, cancellationToken).ConfigureAwait(false);
        return (fresh, key);
    }

    /// <summary>
    /// Keeps the certificate of whoever signed the grant this member opens the vault through, as served and verified, so the
    /// grant can be verified again offline.
    /// </summary>
    private async Task RememberSignerAsync(VaultDto vault, CancellationToken cancellationToken)
    {
        if (_keyring.GrantToHolder(vault) is not (VaultGrantDto grant, _) || string.Equals(grant.Wrap.SignerId, cache.MemberId, StringComparison.Ordinal))
        {
            return;
        }
        string signer = grant.Wrap.SignerId;
        MemberCertificateResponse? verified = _keyring.VerifiedResponse(signer);
        if (verified is null)
        {
            _ = await _keyring.VerifiedMemberAsync(signer, cancellationToken).ConfigureAwait(false);
            verified = _keyring.VerifiedResponse(signer)!;
        }
        cache.PutSigner(signer, verified);
    }

    private void RefuseOlder(string vaultId, string itemId, long version)
    {
        long seen = _pins.ItemVersion(itemId);
        if (version < seen)
        {
            throw new CofferProtocolException(string.Create(CultureInfo.InvariantCulture,
                $"{ItemOpening.Subject(vaultId, itemId)} came back at version {version}, older than version {seen} this account has seen; the server's copy is refused (a rollback)."));
        }
    }

    private static void Refuse(PinCheck check, string vaultId, string what)
    {
        if (check == PinCheck.Conflict)
        {
            throw new CofferProtocolException("The server sent vault " + vaultId + " at a lower " + what
                + " than this account has seen; its copy is refused (a rollback).");
        }
    }

    private void Purge(string vaultId, Counters counters)
    {
        cache.DeleteVault(vaultId);
        index.RemoveVault(vaultId);
        lock (statesLock)
        {
            states.Remove(vaultId);
        }
        _keyring.Forget(vaultId);
        Purged?.Invoke(vaultId);
        counters.Removed.Add(vaultId);
        counters.Dirty = true;
    }

    internal static VaultSummary Summarise(VaultRecord record, VaultKey key)
    {
        VaultDto vault = record.Vault;
        byte[] attributes = key.OpenAttributes(checked((int)vault.AttributesVersion),
                Wire.WireMapper.ToEnvelope(vault.SealedAttributes, "vault.sealedAttributes"))
            ?? throw new CofferProtocolException("The attributes of vault " + vault.Id + " do not open under its key.");
        string name;
        try
        {
            using System.Text.Json.JsonDocument document = System.Text.Json.JsonDocument.Parse(attributes);
            name = document.RootElement.TryGetProperty("name", out System.Text.Json.JsonElement n) && n.ValueKind == System.Text.Json.JsonValueKind.String
                ? n.GetString()!
                : "";
        }
        catch (System.Text.Json.JsonException)
        {
            throw new CofferProtocolException("The attributes of vault " + vault.Id + " are not JSON.");
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(attributes);
        }
        IReadOnlyList<string> permissions = VaultPermissions.Canonical([.. vault.Grants.SelectMany(g => g.Permissions).Distinct(StringComparer.Ordinal)])
            ?? [];
        return new VaultSummary(vault.Id, vault.Kind, name, vault.KeySerial, record.Cursor, record.ItemCount, permissions, vault.SafeForTravel);
    }

    private sealed class Counters
    {
        public int Synced { get; set; }

        public int Changed { get; set; }

        public int Deleted { get; set; }

        public bool Dirty { get; set; }

        public List<string> Removed { get; } = [];

        public List<string> Resynced { get; } = [];

        public SyncReport Report() => new(Synced, Changed, Deleted, Removed, Resynced);
    }
}

/// <summary>A cached vault and its summary, as the library holds them in memory.</summary>
/// <param name="Record">The cached record (vault as served, cursor, item count).</param>
/// <param name="Summary">Its summary.</param>
internal sealed record VaultState(VaultRecord Record, VaultSummary Summary);
