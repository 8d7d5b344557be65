using System.Data.Common;
using System.Globalization;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;
using Coffer.Server.Features.Sync;

namespace Coffer.Server.Features.Vaults;

internal enum VaultOutcome
{
    Done,
    NotFound,
    Forbidden,
    ItemVersionConflict,
    StaleVaultKey,
    VaultChanged,
    Invalid,
    Replayed,
    CursorExpired,
}

internal sealed record VaultResult<T>(VaultOutcome Outcome, T? Value = default, string? Detail = null);

/// <summary>The two kinds of vault (ARCHITECTURE.md "Vault").</summary>
internal static class VaultKinds
{
    public const string Personal = "personal";
    public const string Shared = "shared";
}

/// <summary>
/// Vaults, grants and items. Every write is one transaction that locks the vault row (PostgreSQL; SQLite's writer
/// lock already orders them), checks the caller's grant, bumps the vault's content version and records the
/// request's (session, seq) so a write replayed on another node fails.
/// </summary>
internal sealed class VaultStore(IDatabase database, AccountFeed feed)
{
    private const string GrantColumns = """
        SELECT vault_id AS VaultId, principal_kind AS PrincipalKind, principal_id AS PrincipalId, key_serial AS KeySerial,
               recipient_keyset_serial AS RecipientKeysetSerial, wrapped_key AS WrappedKey, signer_id AS SignerId, signature AS Signature,
               permissions AS Permissions
        FROM vault_grants
        """;

    private const string ItemColumns = """
        SELECT id AS Id, vault_id AS VaultId, version AS Version, vault_key_serial AS VaultKeySerial, sealed_item_key AS SealedItemKey,
               sealed_overview AS SealedOverview, sealed_details AS SealedDetails, archived AS Archived, trashed AS Trashed,
               updated_at AS UpdatedAt, changed_at AS ChangedAt
        FROM items
        """;

    // A grant to the member, or to a group they hold a membership of.
    private const string VisibleTo = """
        ((principal_kind = 'member' AND principal_id = @memberId)
         OR (principal_kind = 'group' AND principal_id IN (SELECT group_id FROM group_memberships WHERE member_id = @memberId)))
        """;

    private string ForUpdate => database.Engine == DatabaseEngine.Postgres ? " FOR UPDATE" : "";

    /// <summary>
    /// Creates a vault with its creator's self-grant (every permission). A personal vault is refused to guests and to anyone
    /// who has one; a shared vault needs <c>create_vaults</c> (POLICY.md). The self-grant must verify under the caller's
    /// certified keys.
    /// </summary>
    public Task<VaultResult<VaultDto>> CreateAsync(CofferCaller caller, CreateVaultRequest r, long now, CancellationToken ct) =>
        InWriteAsync(async (c, tx, changed) =>
        {
            if (!await RecordWriteAsync(c, tx, caller, now, ct))
            {
                return new VaultResult<VaultDto>(VaultOutcome.Replayed);
            }
            string? state = await c.OneAsync<string>(tx, "SELECT state FROM members WHERE id = @MemberId", new { caller.MemberId }, ct);
            if (state != "active")
            {
                return new VaultResult<VaultDto>(VaultOutcome.Forbidden, Detail: "Only active members create vaults.");
            }
            if (r.Kind == VaultKinds.Personal && await IsGuestAsync(c, tx, caller.MemberId, ct))
            {
                return new VaultResult<VaultDto>(VaultOutcome.Forbidden, Detail: "Guests have no personal vault.");
            }
            if (r.Kind == VaultKinds.Shared && !(await PermissionStore.OfAsync(c, tx, caller.MemberId, ct)).Contains(OrgPermissions.CreateVaults))
            {
                return new VaultResult<VaultDto>(VaultOutcome.Forbidden, Detail: $"Creating a shared vault needs the {OrgPermissions.CreateVaults} permission.");
            }
            if (await c.ScalarAsync<long>(tx, "SELECT count(*) FROM vaults WHERE id = @Id", new { r.Id }, ct) > 0)
            {
                return new VaultResult<VaultDto>(VaultOutcome.Invalid, Detail: "A vault with this id exists.");
            }
            if (r.Kind == VaultKinds.Personal
                && await c.ScalarAsync<long>(tx, "SELECT count(*) FROM vaults WHERE created_by = @MemberId AND kind = 'personal'", new { caller.MemberId }, ct) > 0)
            {
                return new VaultResult<VaultDto>(VaultOutcome.Invalid, Detail: "You already have a personal vault.");
            }
            CertifiedKeys? own = await GrantChecks.CertifiedAsync(c, tx, CertKinds.Member, caller.MemberId, activeOnly: true, ct);
            if (own is null || !GrantChecks.IsValid(r.Grant, r.Id, 1, CertKinds.Member, caller.MemberId, own, caller.MemberId, own.SigningPublicKey))
            {
                return new VaultResult<VaultDto>(VaultOutcome.Invalid, Detail: "The grant must wrap the vault key to your certified key, signed by your certified signing key.");
            }
            await InsertVaultAsync(c, tx, r, caller.MemberId, now, changed, ct);
            await AnnounceAsync(c, tx, r.Id, 1, changed, ct);
            return new VaultResult<VaultDto>(VaultOutcome.Done, await ReadVaultAsync(c, tx, r.Id, caller.MemberId, ct));
        }, ct);

    /// <summary>
    /// Stores a new vault (content version 1) and its creator's grant with every permission, and tells the creator's feed;
    /// the caller checked the rest.
    /// </summary>
    internal static async Task InsertVaultAsync(DbConnection c, DbTransaction tx, CreateVaultRequest r, string memberId, long now, ChangeSet changed,
        CancellationToken ct)
    {
        changed.To(memberId, AccountChangeKinds.VaultGrant, r.Id, 1);
        await c.ExecAsync(tx, """
            INSERT INTO vaults (id, kind, sealed_attributes, attributes_version, key_serial, content_version, safe_for_travel, created_by, created_at)
            VALUES (@Id, @Kind, @attrs, @AttributesVersion, 1, 1, @travel, @memberId, @now)
            """, new { r.Id, r.Kind, attrs = SetupStore.EnvelopeJson(r.SealedAttributes), r.AttributesVersion, travel = r.SafeForTravel ? 1L : 0L, memberId, now }, ct);
        await InsertGrantAsync(c, tx, r.Id, r.Grant, string.Join(' ', VaultPermissions.All), now, ct);
    }

    /// <summary>
    /// Whether a member is a guest: their newest member certificate names the base group <c>guests</c>. The signed base group
    /// decides, not group memberships (the first Owner holds every group's key, Guests' included).
    /// </summary>
    internal static async Task<bool> IsGuestAsync(DbConnection c, DbTransaction? tx, string memberId, CancellationToken ct) =>
        await c.OneAsync<string>(tx, """
            SELECT base_group FROM certificates WHERE kind = 'member' AND subject_id = @memberId ORDER BY keyset_serial DESC, issued_at DESC LIMIT 1
            """, new { memberId }, ct) == "guests";

    /// <summary>Every grant of a vault, for a caller holding manage_vault on it.</summary>
    public async Task<VaultResult<VaultGrantListResponse>> ListGrantsAsync(string vaultId, string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        HashSet<string>? permissions = await PermissionsAsync(c, null, vaultId, memberId, ct);
        if (permissions is null)
        {
            return new VaultResult<VaultGrantListResponse>(VaultOutcome.NotFound);
        }
        if (!permissions.Contains(VaultPermissions.ManageVault))
        {
            return new VaultResult<VaultGrantListResponse>(VaultOutcome.Forbidden, Detail: "Your grant on this vault lacks manage_vault.");
        }
        VaultRow vault = (await c.OneAsync<VaultRow>(null, VaultRowSql, new { vaultId }, ct))!;
        List<GrantRow> grants = await c.ListAsync<GrantRow>(null, GrantColumns + " WHERE vault_id = @vaultId ORDER BY principal_kind DESC, principal_id",
            new { vaultId }, ct);
        return new VaultResult<VaultGrantListResponse>(VaultOutcome.Done,
            new VaultGrantListResponse(vaultId, vault.KeySerial, vault.ContentVersion, [.. grants.Select(g => g.ToSummary())]));
    }

    /// <summary>
    /// Gives a member or group the vault, or replaces their grant (docs/adr/0011): the caller needs manage_vault; a personal
    /// vault is never shared; the principal must be an active member or a group, with certified keys; the wrap must carry the
    /// current key to those keys, signed by the caller's certified signing key.
    /// </summary>
    public Task<VaultResult<VaultGrantSummaryDto>> PutGrantAsync(CofferCaller caller, string vaultId, string principalKind, string principalId,
        SignedWrapDto wrap, IReadOnlyList<string> permissions, long now, CancellationToken ct) =>
        InWriteAsync(async (c, tx, changed) =>
        {
            (VaultResult<VaultGrantSummaryDto>? refused, VaultRow? vault) = await ManagedAsync<VaultGrantSummaryDto>(c, tx, caller, vaultId, now, ct);
            if (refused is not null)
            {
                return refused;
            }
            CertifiedKeys? principal = await GrantChecks.CertifiedAsync(c, tx, principalKind, principalId, activeOnly: true, ct);
            if (principal is null)
            {
                return new VaultResult<VaultGrantSummaryDto>(VaultOutcome.NotFound);
            }
            CertifiedKeys? signer = await GrantChecks.CertifiedAsync(c, tx, CertKinds.Member, caller.MemberId, activeOnly: true, ct);
            if (signer is null || !GrantChecks.IsValid(wrap, vaultId, vault!.KeySerial, principalKind, principalId, principal, caller.MemberId, signer.SigningPublicKey))
            {
                return new VaultResult<VaultGrantSummaryDto>(VaultOutcome.Invalid,
                    Detail: "The wrap must carry the vault's current key to the principal's certified encryption key, signed by your certified signing key.");
            }
            await c.ExecAsync(tx, "DELETE FROM vault_grants WHERE vault_id = @vaultId AND principal_kind = @principalKind AND principal_id = @principalId",
                new { vaultId, principalKind, principalId }, ct);
            await InsertGrantAsync(c, tx, vaultId, wrap, string.Join(' ', permissions), now, ct);
            long version = await BumpAsync(c, tx, vaultId, changed, ct);
            changed.To(await AccountFeed.PrincipalAudienceAsync(c, tx, principalKind, principalId, ct), AccountChangeKinds.VaultGrant, vaultId, version);
            return new VaultResult<VaultGrantSummaryDto>(VaultOutcome.Done, await SummaryAsync(c, tx, vaultId, principalKind, principalId, ct));
        }, ct);

    /// <summary>Changes the permissions of an existing grant; its wrap stays.</summary>
    public Task<VaultResult<VaultGrantSummaryDto>> ChangeGrantAsync(CofferCaller caller, string vaultId, string principalKind, string principalId,
        IReadOnlyList<string> permissions, long now, CancellationToken ct) =>
        InWriteAsync(async (c, tx, changed) =>
        {
            (VaultResult<VaultGrantSummaryDto>? refused, _) = await ManagedAsync<VaultGrantSummaryDto>(c, tx, caller, vaultId, now, ct);
            if (refused is not null)
            {
                return refused;
            }
            int updated = await c.ExecAsync(tx, """
                UPDATE vault_grants SET permissions = @permissions WHERE vault_id = @vaultId AND principal_kind = @principalKind AND principal_id = @principalId
                """, new { permissions = string.Join(' ', permissions), vaultId, principalKind, principalId }, ct);
            if (updated == 0)
            {
                return new VaultResult<VaultGrantSummaryDto>(VaultOutcome.NotFound);
            }
            long version = await BumpAsync(c, tx, vaultId, changed, ct);
            changed.To(await AccountFeed.PrincipalAudienceAsync(c, tx, principalKind, principalId, ct), AccountChangeKinds.VaultGrant, vaultId, version);
            return new VaultResult<VaultGrantSummaryDto>(VaultOutcome.Done, await SummaryAsync(c, tx, vaultId, principalKind, principalId, ct));
        }, ct);

    // The start of every grant change: the write recorded, the vault locked and visible to the caller, manage_vault held, and
    // the vault not personal (a person's secrets are theirs alone: POLICY.md; its key is wrapped only to them and recovery).
    private async Task<(VaultResult<T>? Refused, VaultRow? Vault)> ManagedAsync<T>(DbConnection c, DbTransaction tx, CofferCaller caller, string vaultId,
        long now, CancellationToken ct)
    {
        if (!await RecordWriteAsync(c, tx, caller, now, ct))
        {
            return (new VaultResult<T>(VaultOutcome.Replayed), null);
        }
        VaultRow? vault = await LockVaultAsync(c, tx, vaultId, ct);
        HashSet<string>? permissions = vault is null ? null : await PermissionsAsync(c, tx, vaultId, caller.MemberId, ct);
        if (vault is null || permissions is null)
        {
            return (new VaultResult<T>(VaultOutcome.NotFound), null);
        }
        if (!permissions.Contains(VaultPermissions.ManageVault))
        {
            return (new VaultResult<T>(VaultOutcome.Forbidden, Detail: "Your grant on this vault lacks manage_vault."), null);
        }
        if (vault.Kind == VaultKinds.Personal)
        {
            return (new VaultResult<T>(VaultOutcome.Forbidden, Detail: "A personal vault is not shared."), null);
        }
        return (null, vault);
    }

    private static async Task<VaultGrantSummaryDto> SummaryAsync(DbConnection c, DbTransaction tx, string vaultId, string principalKind, string principalId,
        CancellationToken ct) =>
        (await c.OneAsync<GrantRow>(tx, GrantColumns + " WHERE vault_id = @vaultId AND principal_kind = @principalKind AND principal_id = @principalId",
            new { vaultId, principalKind, principalId }, ct))!.ToSummary();

    public async Task<IReadOnlyList<VaultDto>> ListAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        List<string> ids = await c.ListAsync<string>(null, $"SELECT DISTINCT vault_id FROM vault_grants WHERE {VisibleTo} ORDER BY vault_id", new { memberId }, ct);
        List<VaultDto> vaults = [];
        foreach (string id in ids)
        {
            if (await ReadVaultAsync(c, null, id, memberId, ct) is { } v)
            {
                vaults.Add(v);
            }
        }
        return vaults;
    }

    public async Task<VaultDto?> FindAsync(string vaultId, string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await ReadVaultAsync(c, null, vaultId, memberId, ct);
    }

    /// <summary>
    /// The changes after <paramref name="since"/> (PROTOCOL.md §9): at most <paramref name="limit"/> items and tombstones
    /// unless one content version holds more (a page never splits a version, so the cursor stays a plain version). The
    /// vault's version is read first: every change up to it has committed (on PostgreSQL writes take the vault row lock,
    /// so commit order is version order), and an item changed again meanwhile is only moved to a later page.
    /// </summary>
    public async Task<VaultResult<ItemListResponse>> ListItemsAsync(string vaultId, string memberId, long since, int limit, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        if (await PermissionsAsync(c, null, vaultId, memberId, ct) is null)
        {
            return new VaultResult<ItemListResponse>(VaultOutcome.NotFound);
        }
        VaultCursorRow vault = (await c.OneAsync<VaultCursorRow>(null,
            "SELECT content_version AS ContentVersion, tombstones_purged_to AS TombstonesPurgedTo FROM vaults WHERE id = @vaultId", new { vaultId }, ct))!;
        if (since > 0 && since < vault.TombstonesPurgedTo)
        {
            return new VaultResult<ItemListResponse>(VaultOutcome.CursorExpired);
        }
        List<long> versions = await c.ListAsync<long>(null, """
            SELECT v FROM (
                SELECT changed_at AS v FROM items WHERE vault_id = @vaultId AND changed_at > @since
                UNION ALL
                SELECT deleted_at AS v FROM tombstones WHERE vault_id = @vaultId AND deleted_at > @since) AS changes
            WHERE v <= @upTo ORDER BY v LIMIT @take
            """, new { vaultId, since, upTo = vault.ContentVersion, take = limit + 1 }, ct);
        bool hasMore = versions.Count > limit;
        long upTo = hasMore ? versions[limit - 1] : Math.Max(since, vault.ContentVersion);
        if (hasMore && versions[limit] == upTo)
        {
            // The cut falls inside one version: its whole group goes in this page, and the next starts after it.
            hasMore = await c.ScalarAsync<long>(null, """
                    SELECT count(*) FROM items WHERE vault_id = @vaultId AND changed_at > @upTo AND changed_at <= @contentVersion
                    """, new { vaultId, upTo, contentVersion = vault.ContentVersion }, ct)
                + await c.ScalarAsync<long>(null, """
                    SELECT count(*) FROM tombstones WHERE vault_id = @vaultId AND deleted_at > @upTo AND deleted_at <= @contentVersion
                    """, new { vaultId, upTo, contentVersion = vault.ContentVersion }, ct) > 0;
        }
        List<ItemRow> items = await c.ListAsync<ItemRow>(null, ItemColumns + " WHERE vault_id = @vaultId AND changed_at > @since AND changed_at <= @upTo ORDER BY changed_at, id",
            new { vaultId, since, upTo }, ct);
        List<TombstoneRow> tombstones = await c.ListAsync<TombstoneRow>(null, """
            SELECT item_id AS Id, version AS Version, vault_key_serial AS VaultKeySerial, sealed_item_key AS SealedItemKey,
                   sealed_tombstone AS SealedTombstone, deleted_at AS DeletedAt
            FROM tombstones WHERE vault_id = @vaultId AND deleted_at > @since AND deleted_at <= @upTo ORDER BY deleted_at, item_id
            """, new { vaultId, since, upTo }, ct);
        return new VaultResult<ItemListResponse>(VaultOutcome.Done, new ItemListResponse(vault.ContentVersion, [.. items.Select(i => i.ToDto())],
            [.. tombstones.Select(t => new TombstoneDto(t.Id, t.Version, t.VaultKeySerial, AccountStore.Envelope(t.SealedItemKey),
                AccountStore.Envelope(t.SealedTombstone), t.DeletedAt))], upTo, hasMore));
    }

    /// <summary>
    /// Drops tombstones created before <paramref name="cutoff"/> (the 90-day retention) and raises each affected vault's
    /// "purged to" marker to the highest content version dropped, so a cursor older than that gets 410 instead of a
    /// delta that silently lacks a deletion. Returns the number of tombstones dropped.
    /// </summary>
    public Task<long> PurgeTombstonesAsync(long cutoff, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecAsync(tx, """
                UPDATE vaults SET tombstones_purged_to = (SELECT max(t.deleted_at) FROM tombstones t WHERE t.vault_id = vaults.id AND t.created_at < @cutoff)
                WHERE id IN (SELECT vault_id FROM tombstones WHERE created_at < @cutoff)
                  AND tombstones_purged_to < (SELECT max(t.deleted_at) FROM tombstones t WHERE t.vault_id = vaults.id AND t.created_at < @cutoff)
                """, new { cutoff }, ct);
            return (long)await c.ExecAsync(tx, "DELETE FROM tombstones WHERE created_at < @cutoff", new { cutoff }, ct);
        }, ct);

    /// <summary>Whether the member holds a grant to the vault now (an event stream announces only vaults its member sees).</summary>
    public async Task<bool> CanSeeAsync(string vaultId, string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await PermissionsAsync(c, null, vaultId, memberId, ct) is not null;
    }

    // The grant check and the row in one statement: the hottest read pays one round trip, and no grant answers exactly as no item.
    private static readonly HotQuery<ItemRow> FindItem = new("""
        SELECT id, vault_id, version, vault_key_serial, sealed_item_key, sealed_overview, sealed_details, archived, trashed, updated_at, changed_at
        FROM items
        WHERE id = @itemId AND vault_id = @vaultId AND EXISTS (SELECT 1 FROM vault_grants WHERE vault_id = @vaultId AND
        """ + VisibleTo + ")", ["itemId", "vaultId", "memberId"], r => new ItemRow
    {
        Id = r.GetString(0),
        VaultId = r.GetString(1),
        Version = r.GetInt64(2),
        VaultKeySerial = r.GetInt64(3),
        SealedItemKey = r.GetString(4),
        SealedOverview = r.GetString(5),
        SealedDetails = r.GetString(6),
        Archived = r.GetInt64(7),
        Trashed = r.GetInt64(8),
        UpdatedAt = r.GetInt64(9),
        ChangedAt = r.GetInt64(10),
    });

    public async Task<VaultResult<ItemDto>> FindItemAsync(string vaultId, string itemId, string memberId, CancellationToken ct) =>
        await database.QueryOneAsync(FindItem, [itemId, vaultId, memberId], ct) is { } item
            ? new VaultResult<ItemDto>(VaultOutcome.Done, item.ToDto())
            : new VaultResult<ItemDto>(VaultOutcome.NotFound);

    // The load benchmark's baseline reads the row the same way, minus the grant check, so the comparison measures the session
    // layer, authorisation and accounting, not two ways of reading a row.
    private static readonly HotQuery<ItemRow> BareItem = FindItem with
    {
        Sql = """
            SELECT id, vault_id, version, vault_key_serial, sealed_item_key, sealed_overview, sealed_details, archived, trashed, updated_at, changed_at
            FROM items WHERE id = @itemId
            """,
        Parameters = ["itemId"],
    };

    /// <summary>The item row alone, for the load benchmark's baseline (Features/Benchmark): no grant check.</summary>
    internal static async Task<ItemDto?> ReadItemAsync(IDatabase database, string itemId, CancellationToken ct) =>
        (await database.QueryOneAsync(BareItem, [itemId], ct))?.ToDto();

    public async Task<VaultResult<ItemHistoryResponse>> HistoryAsync(string vaultId, string itemId, string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        if (await PermissionsAsync(c, null, vaultId, memberId, ct) is null
            || await c.ScalarAsync<long>(null, "SELECT count(*) FROM items WHERE id = @itemId AND vault_id = @vaultId", new { itemId, vaultId }, ct) == 0)
        {
            return new VaultResult<ItemHistoryResponse>(VaultOutcome.NotFound);
        }
        List<ItemRow> rows = await c.ListAsync<ItemRow>(null, """
            SELECT item_id AS Id, CAST(@vaultId AS text) AS VaultId, version AS Version, vault_key_serial AS VaultKeySerial, sealed_item_key AS SealedItemKey,
                   sealed_overview AS SealedOverview, sealed_details AS SealedDetails, archived AS Archived, trashed AS Trashed,
                   updated_at AS UpdatedAt, CAST(0 AS bigint) AS ChangedAt
            FROM item_history WHERE item_id = @itemId ORDER BY version DESC
            """, new { itemId, vaultId }, ct);
        return new VaultResult<ItemHistoryResponse>(VaultOutcome.Done, new ItemHistoryResponse([.. rows.Select(r => r.ToDto())]));
    }

    /// <summary>
    /// Stores a new version of an item: version 1 when <c>BaseVersion</c> is 0, else <c>BaseVersion + 1</c> over the
    /// stored <c>BaseVersion</c>. <paramref name="permissionFor"/> names the permission the change needs given the stored item (null for a new one).
    /// </summary>
    public Task<VaultResult<ItemDto>> WriteItemAsync(CofferCaller caller, string vaultId, string itemId, ItemWriteRequest r,
        Func<ItemRow?, string?> permissionFor, long now, CancellationToken ct) =>
        InWriteAsync(async (c, tx, changed) =>
        {
            if (!await RecordWriteAsync(c, tx, caller, now, ct))
            {
                return new VaultResult<ItemDto>(VaultOutcome.Replayed);
            }
            VaultRow? vault = await LockVaultAsync(c, tx, vaultId, ct);
            HashSet<string>? permissions = vault is null ? null : await PermissionsAsync(c, tx, vaultId, caller.MemberId, ct);
            if (vault is null || permissions is null)
            {
                return new VaultResult<ItemDto>(VaultOutcome.NotFound);
            }
            ItemRow? current = await c.OneAsync<ItemRow>(tx, ItemColumns + " WHERE id = @itemId" + ForUpdate, new { itemId }, ct);
            if (current is not null && current.VaultId != vaultId)
            {
                return new VaultResult<ItemDto>(VaultOutcome.NotFound);
            }
            if (r.BaseVersion > 0 && current is null)
            {
                return new VaultResult<ItemDto>(VaultOutcome.NotFound);
            }
            string? needed = permissionFor(current);
            if (needed is null)
            {
                return new VaultResult<ItemDto>(VaultOutcome.Invalid, Detail: "The flags do not match this action.");
            }
            if (!permissions.Contains(needed))
            {
                return new VaultResult<ItemDto>(VaultOutcome.Forbidden, Detail: $"Your grant on this vault lacks {needed}.");
            }
            bool tombstoned = await c.ScalarAsync<long>(tx, "SELECT count(*) FROM tombstones WHERE item_id = @itemId", new { itemId }, ct) > 0;
            if ((current?.Version ?? 0) != r.BaseVersion || tombstoned)
            {
                return new VaultResult<ItemDto>(VaultOutcome.ItemVersionConflict);
            }
            if (r.VaultKeySerial != vault.KeySerial)
            {
                return new VaultResult<ItemDto>(VaultOutcome.StaleVaultKey);
            }
            long contentVersion = await BumpAsync(c, tx, vaultId, changed, ct);
            object args = new
            {
                itemId,
                vaultId,
                version = r.BaseVersion + 1,
                r.VaultKeySerial,
                key = SetupStore.EnvelopeJson(r.SealedItemKey),
                overview = SetupStore.EnvelopeJson(r.SealedOverview),
                details = SetupStore.EnvelopeJson(r.SealedDetails),
                archived = r.Archived ? 1L : 0L,
                trashed = r.Trashed ? 1L : 0L,
                now,
                contentVersion,
            };
            if (current is null)
            {
                await c.ExecAsync(tx, """
                    INSERT INTO items (id, vault_id, version, vault_key_serial, sealed_item_key, sealed_overview, sealed_details, archived, trashed, updated_at, changed_at)
                    VALUES (@itemId, @vaultId, @version, @VaultKeySerial, @key, @overview, @details, @archived, @trashed, @now, @contentVersion)
                    """, args, ct);
            }
            else
            {
                await c.ExecAsync(tx, """
                    INSERT INTO item_history (item_id, version, vault_key_serial, sealed_item_key, sealed_overview, sealed_details, archived, trashed, updated_at)
                    SELECT id, version, vault_key_serial, sealed_item_key, sealed_overview, sealed_details, archived, trashed, updated_at FROM items WHERE id = @itemId
                    """, new { itemId }, ct);
                await c.ExecAsync(tx, """
                    UPDATE items SET version = @version, vault_key_serial = @VaultKeySerial, sealed_item_key = @key, sealed_overview = @overview,
                        sealed_details = @details, archived = @archived, trashed = @trashed, updated_at = @now, changed_at = @contentVersion
                    WHERE id = @itemId
                    """, args, ct);
            }
            ItemRow stored = (await c.OneAsync<ItemRow>(tx, ItemColumns + " WHERE id = @itemId", new { itemId }, ct))!;
            return new VaultResult<ItemDto>(VaultOutcome.Done, stored.ToDto());
        }, ct);

    /// <summary>Deletes an item and its history for good, leaving its sealed tombstone.</summary>
    public Task<VaultResult<bool>> DeleteItemAsync(CofferCaller caller, string vaultId, string itemId, DeleteItemRequest r, long now, CancellationToken ct) =>
        InWriteAsync(async (c, tx, changed) =>
        {
            if (!await RecordWriteAsync(c, tx, caller, now, ct))
            {
                return new VaultResult<bool>(VaultOutcome.Replayed);
            }
            VaultRow? vault = await LockVaultAsync(c, tx, vaultId, ct);
            HashSet<string>? permissions = vault is null ? null : await PermissionsAsync(c, tx, vaultId, caller.MemberId, ct);
            ItemRow? current = permissions is null ? null
                : await c.OneAsync<ItemRow>(tx, ItemColumns + " WHERE id = @itemId AND vault_id = @vaultId", new { itemId, vaultId }, ct);
            if (vault is null || permissions is null || current is null)
            {
                return new VaultResult<bool>(VaultOutcome.NotFound);
            }
            if (!permissions.Contains(VaultPermissions.DeleteItems))
            {
                return new VaultResult<bool>(VaultOutcome.Forbidden, Detail: "Your grant on this vault lacks delete_items.");
            }
            if (current.Version != r.BaseVersion)
            {
                return new VaultResult<bool>(VaultOutcome.ItemVersionConflict);
            }
            if (r.VaultKeySerial != vault.KeySerial)
            {
                return new VaultResult<bool>(VaultOutcome.StaleVaultKey);
            }
            long contentVersion = await BumpAsync(c, tx, vaultId, changed, ct);
            await c.ExecAsync(tx, "DELETE FROM item_history WHERE item_id = @itemId", new { itemId }, ct);
            await c.ExecAsync(tx, "DELETE FROM items WHERE id = @itemId", new { itemId }, ct);
            await c.ExecAsync(tx, """
                INSERT INTO tombstones (item_id, vault_id, version, vault_key_serial, sealed_item_key, sealed_tombstone, deleted_at, created_at)
                VALUES (@itemId, @vaultId, @version, @VaultKeySerial, @key, @tombstone, @contentVersion, @now)
                """, new
            {
                itemId,
                vaultId,
                version = r.BaseVersion + 1,
                r.VaultKeySerial,
                key = SetupStore.EnvelopeJson(r.SealedItemKey),
                tombstone = SetupStore.EnvelopeJson(r.SealedTombstone),
                contentVersion,
                now,
            }, ct);
            return new VaultResult<bool>(VaultOutcome.Done, true);
        }, ct);

    /// <summary>
    /// Rotation as one unit: the version must not have moved, the new serial is the next one, every current item appears
    /// exactly once at its current version, and every current grant is re-wrapped. Anything less changes nothing.
    /// </summary>
    public Task<VaultResult<VaultDto>> RotateAsync(CofferCaller caller, string vaultId, RotateVaultRequest r, long now, CancellationToken ct) =>
        InWriteAsync(async (c, tx, changed) =>
        {
            if (!await RecordWriteAsync(c, tx, caller, now, ct))
            {
                return new VaultResult<VaultDto>(VaultOutcome.Replayed);
            }
            VaultRow? vault = await LockVaultAsync(c, tx, vaultId, ct);
            HashSet<string>? permissions = vault is null ? null : await PermissionsAsync(c, tx, vaultId, caller.MemberId, ct);
            if (vault is null || permissions is null)
            {
                return new VaultResult<VaultDto>(VaultOutcome.NotFound);
            }
            if (!permissions.Contains(VaultPermissions.ManageVault))
            {
                return new VaultResult<VaultDto>(VaultOutcome.Forbidden, Detail: "Your grant on this vault lacks manage_vault.");
            }
            if (vault.ContentVersion != r.ExpectedVaultVersion || r.NewKeySerial != vault.KeySerial + 1)
            {
                return new VaultResult<VaultDto>(VaultOutcome.VaultChanged);
            }
            Dictionary<string, long> items = (await c.ListAsync<(string Id, long Version)>(tx, "SELECT id, version FROM items WHERE vault_id = @vaultId",
                new { vaultId }, ct)).ToDictionary(i => i.Id, i => i.Version, StringComparer.Ordinal);
            if (r.ItemKeys.Count != items.Count || r.ItemKeys.Any(k => !items.TryGetValue(k.ItemId, out long v) || v != k.Version)
                || r.ItemKeys.Select(k => k.ItemId).Distinct(StringComparer.Ordinal).Count() != r.ItemKeys.Count)
            {
                return new VaultResult<VaultDto>(VaultOutcome.Invalid, Detail: "Every current item must be present exactly once, at its current version.");
            }
            List<GrantRow> grants = await c.ListAsync<GrantRow>(tx, GrantColumns + " WHERE vault_id = @vaultId", new { vaultId }, ct);
            HashSet<string> granted = [.. grants.Select(g => g.PrincipalKind + ":" + g.PrincipalId)];
            if (r.Grants.Count != grants.Count || !granted.SetEquals(r.Grants.Select(g => g.RecipientKind + ":" + g.RecipientId)))
            {
                return new VaultResult<VaultDto>(VaultOutcome.Invalid, Detail: "Every current grant must be re-wrapped exactly once.");
            }
            CertifiedKeys? signer = await GrantChecks.CertifiedAsync(c, tx, CertKinds.Member, caller.MemberId, activeOnly: true, ct);
            foreach (SignedWrapDto g in r.Grants)
            {
                // Every principal still holding a grant, whatever its state now: the new key goes to its certified keys or nowhere.
                CertifiedKeys? recipient = await GrantChecks.CertifiedAsync(c, tx, g.RecipientKind, g.RecipientId, activeOnly: false, ct);
                if (signer is null || recipient is null
                    || !GrantChecks.IsValid(g, vaultId, r.NewKeySerial, g.RecipientKind, g.RecipientId, recipient, caller.MemberId, signer.SigningPublicKey))
                {
                    return new VaultResult<VaultDto>(VaultOutcome.Invalid,
                        Detail: "Each grant must wrap the new key to its principal's certified encryption key, signed by your certified signing key.");
                }
            }
            long contentVersion = await BumpAsync(c, tx, vaultId, changed, ct);
            await c.ExecAsync(tx, "UPDATE vaults SET key_serial = @NewKeySerial, sealed_attributes = @attrs, attributes_version = @AttributesVersion WHERE id = @vaultId",
                new { r.NewKeySerial, attrs = SetupStore.EnvelopeJson(r.SealedAttributes), r.AttributesVersion, vaultId }, ct);
            await c.ExecAsync(tx, "INSERT INTO vault_successions (vault_id, serial, succession, created_at) VALUES (@vaultId, @NewKeySerial, @succession, @now)",
                new { vaultId, r.NewKeySerial, succession = SetupStore.EnvelopeJson(r.Succession), now }, ct);
            foreach (ItemKeyDto k in r.ItemKeys)
            {
                await c.ExecAsync(tx, "UPDATE items SET vault_key_serial = @NewKeySerial, sealed_item_key = @key, changed_at = @contentVersion WHERE id = @ItemId",
                    new { r.NewKeySerial, key = SetupStore.EnvelopeJson(k.SealedItemKey), contentVersion, k.ItemId }, ct);
            }
            foreach (SignedWrapDto g in r.Grants)
            {
                string kept = grants.Single(x => x.PrincipalKind == g.RecipientKind && x.PrincipalId == g.RecipientId).Permissions;
                await c.ExecAsync(tx, "DELETE FROM vault_grants WHERE vault_id = @vaultId AND principal_kind = @RecipientKind AND principal_id = @RecipientId",
                    new { vaultId, g.RecipientKind, g.RecipientId }, ct);
                await InsertGrantAsync(c, tx, vaultId, g, kept, now, ct);
            }
            changed.To(await AccountFeed.VaultAudienceAsync(c, tx, vaultId, ct), AccountChangeKinds.VaultKey, vaultId, r.NewKeySerial);
            return new VaultResult<VaultDto>(VaultOutcome.Done, await ReadVaultAsync(c, tx, vaultId, caller.MemberId, ct));
        }, ct);

    /// <summary>Removes a grant: from this commit on the vault is no longer served through it.</summary>
    public Task<VaultResult<bool>> RemoveGrantAsync(CofferCaller caller, string vaultId, string principalKind, string principalId, long now, CancellationToken ct) =>
        InWriteAsync(async (c, tx, changed) =>
        {
            if (!await RecordWriteAsync(c, tx, caller, now, ct))
            {
                return new VaultResult<bool>(VaultOutcome.Replayed);
            }
            VaultRow? vault = await LockVaultAsync(c, tx, vaultId, ct);
            HashSet<string>? permissions = vault is null ? null : await PermissionsAsync(c, tx, vaultId, caller.MemberId, ct);
            if (vault is null || permissions is null)
            {
                return new VaultResult<bool>(VaultOutcome.NotFound);
            }
            if (!permissions.Contains(VaultPermissions.ManageVault))
            {
                return new VaultResult<bool>(VaultOutcome.Forbidden, Detail: "Your grant on this vault lacks manage_vault.");
            }
            int removed = await c.ExecAsync(tx, "DELETE FROM vault_grants WHERE vault_id = @vaultId AND principal_kind = @principalKind AND principal_id = @principalId",
                new { vaultId, principalKind, principalId }, ct);
            if (removed == 0)
            {
                return new VaultResult<bool>(VaultOutcome.NotFound);
            }
            long version = await BumpAsync(c, tx, vaultId, changed, ct);
            changed.To(await AccountFeed.PrincipalAudienceAsync(c, tx, principalKind, principalId, ct), AccountChangeKinds.VaultGrantRemoved, vaultId, version);
            return new VaultResult<bool>(VaultOutcome.Done, true);
        }, ct);

    private const string VaultRowSql = "SELECT kind AS Kind, key_serial AS KeySerial, content_version AS ContentVersion FROM vaults WHERE id = @vaultId";

    private async Task<VaultRow?> LockVaultAsync(DbConnection c, DbTransaction tx, string vaultId, CancellationToken ct) =>
        await c.OneAsync<VaultRow>(tx, VaultRowSql + ForUpdate, new { vaultId }, ct);

    /// <summary>
    /// Raises the vault's content version inside the caller's write transaction and announces it: on PostgreSQL at commit, on SQLite by
    /// adding it to <paramref name="changed"/>, which <see cref="AccountFeed.InTransactionAsync{T}"/> publishes once committed.
    /// </summary>
    internal async Task<long> BumpAsync(DbConnection c, DbTransaction tx, string vaultId, ChangeSet changed, CancellationToken ct)
    {
        await c.ExecAsync(tx, "UPDATE vaults SET content_version = content_version + 1 WHERE id = @vaultId", new { vaultId }, ct);
        long version = await c.ScalarAsync<long>(tx, "SELECT content_version FROM vaults WHERE id = @vaultId", new { vaultId }, ct);
        await AnnounceAsync(c, tx, vaultId, version, changed, ct);
        return version;
    }

    // PostgreSQL: NOTIFY in the write's own transaction, sent only if it commits, heard by every node's listener (this
    // one's included). SQLite: one node, so the change is published here once the transaction has committed.
    private async Task AnnounceAsync(DbConnection c, DbTransaction tx, string vaultId, long version, ChangeSet changed, CancellationToken ct)
    {
        if (database.Engine == DatabaseEngine.Postgres)
        {
            await c.ExecAsync(tx, "SELECT pg_notify(@channel, @payload)",
                new { channel = PostgresChangeListener.Channel, payload = string.Create(CultureInfo.InvariantCulture, $"{vaultId}:{version}") }, ct);
        }
        else
        {
            changed.Vaults.Add(new VaultChange(vaultId, version));
        }
    }

    private Task<T> InWriteAsync<T>(Func<DbConnection, DbTransaction, ChangeSet, Task<T>> work, CancellationToken ct) =>
        feed.InTransactionAsync(work, ct);

    // First in every write's transaction: the (session, seq) pair is used once, on whichever node, so a sealed write
    // replayed to another node (whose in-memory replay window has not seen it) finds the row and writes nothing.
    private static async Task<bool> RecordWriteAsync(DbConnection c, DbTransaction tx, CofferCaller caller, long now, CancellationToken ct) =>
        await c.ExecAsync(tx, "INSERT INTO session_writes (session_id, seq, created_at) VALUES (@SessionId, @seq, @now) ON CONFLICT DO NOTHING",
            new { caller.SessionId, seq = checked((long)caller.Seq), now }, ct) == 1;

    private static Task<int> InsertGrantAsync(DbConnection c, DbTransaction tx, string vaultId, SignedWrapDto g, string permissions, long now, CancellationToken ct) =>
        c.ExecAsync(tx, """
            INSERT INTO vault_grants (vault_id, principal_kind, principal_id, key_serial, recipient_keyset_serial, wrapped_key, signer_id, signature, permissions, created_at)
            VALUES (@vaultId, @RecipientKind, @RecipientId, @KeySerial, @RecipientKeysetSerial, @wrap, @SignerId, @signature, @permissions, @now)
            """, new
        {
            vaultId,
            g.RecipientKind,
            g.RecipientId,
            g.KeySerial,
            g.RecipientKeysetSerial,
            wrap = Protocol.Encoding.Base64Url.Decode(g.Wrap),
            g.SignerId,
            signature = Protocol.Encoding.Base64Url.Decode(g.Signature),
            permissions,
            now,
        }, ct);

    /// <summary>Which of <paramref name="vaultIds"/> the member holds a grant to (directly or through a group).</summary>
    public async Task<HashSet<string>> ReadableVaultsAsync(string memberId, IReadOnlyList<string> vaultIds, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        HashSet<string> readable = new(StringComparer.Ordinal);
        foreach (string vaultId in vaultIds)
        {
            if (await PermissionsAsync(c, null, vaultId, memberId, ct) is not null)
            {
                readable.Add(vaultId);
            }
        }
        return readable;
    }

    private static async Task<HashSet<string>?> PermissionsAsync(DbConnection c, DbTransaction? tx, string vaultId, string memberId, CancellationToken ct)
    {
        List<string> sets = await c.ListAsync<string>(tx, $"SELECT permissions FROM vault_grants WHERE vault_id = @vaultId AND {VisibleTo}", new { vaultId, memberId }, ct);
        return sets.Count == 0 ? null : [.. sets.SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
    }

    private static async Task<VaultDto?> ReadVaultAsync(DbConnection c, DbTransaction? tx, string vaultId, string memberId, CancellationToken ct)
    {
        List<GrantRow> grants = await c.ListAsync<GrantRow>(tx, GrantColumns + $" WHERE vault_id = @vaultId AND {VisibleTo}", new { vaultId, memberId }, ct);
        if (grants.Count == 0)
        {
            return null;
        }
        FullVaultRow v = (await c.OneAsync<FullVaultRow>(tx, """
            SELECT id AS Id, kind AS Kind, key_serial AS KeySerial, attributes_version AS AttributesVersion, sealed_attributes AS SealedAttributes,
                   content_version AS ContentVersion, safe_for_travel AS SafeForTravel
            FROM vaults WHERE id = @vaultId
            """, new { vaultId }, ct))!;
        List<(long Serial, string Succession)> successions = await c.ListAsync<(long Serial, string Succession)>(tx,
            "SELECT serial, succession FROM vault_successions WHERE vault_id = @vaultId ORDER BY serial", new { vaultId }, ct);
        return new VaultDto(v.Id, v.Kind, v.KeySerial, v.AttributesVersion, AccountStore.Envelope(v.SealedAttributes), v.ContentVersion, v.SafeForTravel != 0,
            [.. grants.Select(g => new VaultGrantDto(
                new SignedWrapDto("vault", vaultId, g.KeySerial, g.PrincipalId, g.PrincipalKind, g.RecipientKeysetSerial, Protocol.Encoding.Base64Url.Encode(g.WrappedKey),
                    g.SignerId, Protocol.Encoding.Base64Url.Encode(g.Signature)),
                g.Permissions.Split(' ', StringSplitOptions.RemoveEmptyEntries)))],
            [.. successions.Select(s => new VaultSuccessionDto(s.Serial, AccountStore.Envelope(s.Succession)))]);
    }

    private sealed class VaultCursorRow
    {
        public long ContentVersion { get; set; }
        public long TombstonesPurgedTo { get; set; }
    }

    private sealed class VaultRow
    {
        public string Kind { get; set; } = "";
        public long KeySerial { get; set; }
        public long ContentVersion { get; set; }
    }

    private sealed class FullVaultRow
    {
        public string Id { get; set; } = "";
        public string Kind { get; set; } = "";
        public long KeySerial { get; set; }
        public long AttributesVersion { get; set; }
        public string SealedAttributes { get; set; } = "";
        public long ContentVersion { get; set; }
        public long SafeForTravel { get; set; }
    }

    private sealed class GrantRow
    {
        public string VaultId { get; set; } = "";
        public string PrincipalKind { get; set; } = "";
        public string PrincipalId { get; set; } = "";
        public long KeySerial { get; set; }
        public long RecipientKeysetSerial { get; set; }
        public byte[] WrappedKey { get; set; } = [];
        public string SignerId { get; set; } = "";
        public byte[] Signature { get; set; } = [];
        public string Permissions { get; set; } = "";

        public VaultGrantSummaryDto ToSummary() => new(PrincipalKind, PrincipalId, Permissions.Split(' ', StringSplitOptions.RemoveEmptyEntries), KeySerial,
            RecipientKeysetSerial, SignerId);
    }

    private sealed class TombstoneRow
    {
        public string Id { get; set; } = "";
        public long Version { get; set; }
        public long VaultKeySerial { get; set; }
        public string SealedItemKey { get; set; } = "";
        public string SealedTombstone { get; set; } = "";
        public long DeletedAt { get; set; }
    }
}

/// <summary>An item row as stored.</summary>
internal sealed class ItemRow
{
    public string Id { get; set; } = "";
    public string VaultId { get; set; } = "";
    public long Version { get; set; }
    public long VaultKeySerial { get; set; }
    public string SealedItemKey { get; set; } = "";
    public string SealedOverview { get; set; } = "";
    public string SealedDetails { get; set; } = "";
    public long Archived { get; set; }
    public long Trashed { get; set; }
    public long UpdatedAt { get; set; }
    public long ChangedAt { get; set; }

    public ItemDto ToDto() => new(Id, VaultId, Version, VaultKeySerial, AccountStore.Envelope(SealedItemKey), AccountStore.Envelope(SealedOverview),
        AccountStore.Envelope(SealedDetails), Archived != 0, Trashed != 0, UpdatedAt, ChangedAt);
}
