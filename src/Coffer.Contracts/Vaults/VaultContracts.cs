using Coffer.Contracts.Common;
using Coffer.Contracts.Keys;

namespace Coffer.Contracts.Vaults;

/// <summary>The eleven vault permissions a grant carries (POLICY.md); the server enforces the write ones.</summary>
public static class VaultPermissions
{
    /// <summary>See items' overviews and details.</summary>
    public const string ViewItems = "view_items";

    /// <summary>Reveal and copy concealed fields.</summary>
    public const string ViewAndCopyPasswords = "view_and_copy_passwords";

    /// <summary>See earlier versions of items.</summary>
    public const string ViewItemHistory = "view_item_history";

    /// <summary>Create items.</summary>
    public const string CreateItems = "create_items";

    /// <summary>Change items.</summary>
    public const string EditItems = "edit_items";

    /// <summary>Archive and unarchive items.</summary>
    public const string ArchiveItems = "archive_items";

    /// <summary>Move items to the trash, restore them and delete them for good.</summary>
    public const string DeleteItems = "delete_items";

    /// <summary>Import items.</summary>
    public const string ImportItems = "import_items";

    /// <summary>Export items.</summary>
    public const string ExportItems = "export_items";

    /// <summary>Copy items elsewhere and share them.</summary>
    public const string CopyAndShare = "copy_and_share";

    /// <summary>Change the vault, its grants and its key (rotation).</summary>
    public const string ManageVault = "manage_vault";

    /// <summary>All eleven, in POLICY.md's order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        ViewItems, ViewAndCopyPasswords, ViewItemHistory, CreateItems, EditItems, ArchiveItems, DeleteItems, ImportItems, ExportItems,
        CopyAndShare, ManageVault,
    ];

    /// <summary>
    /// The set a grant may carry, in POLICY.md's order, or null when <paramref name="permissions"/> is empty, names an unknown
    /// permission, repeats one, or lacks <see cref="ViewItems"/>: a grant hands over the vault key, so whoever holds one can
    /// read the vault, and a grant that said otherwise would be a lie (docs/adr/0011).
    /// </summary>
    public static IReadOnlyList<string>? Canonical(IReadOnlyList<string>? permissions)
    {
        if (permissions is null || permissions.Count == 0 || permissions.Any(p => p is null || !All.Contains(p, StringComparer.Ordinal))
            || permissions.Distinct(StringComparer.Ordinal).Count() != permissions.Count || !permissions.Contains(ViewItems, StringComparer.Ordinal))
        {
            return null;
        }
        return [.. All.Where(p => permissions.Contains(p, StringComparer.Ordinal))];
    }
}

/// <summary>Creates a vault: the client made its id, its first key (serial 1), sealed its attributes and wrapped the key to itself.</summary>
/// <param name="Id">The new vault's id (UUIDv7).</param>
/// <param name="Kind"><c>personal</c> or <c>shared</c>.</param>
/// <param name="KeySerial">Always 1.</param>
/// <param name="AttributesVersion">The attributes' version (named in their seal's context), at least 1.</param>
/// <param name="SealedAttributes">Name and description, sealed by the vault key.</param>
/// <param name="SafeForTravel">Whether the vault stays on devices in travel mode.</param>
/// <param name="Grant">The vault key wrapped to the creator and signed by them; the creator's grant has every permission.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateVaultRequest(
    [property: JsonRequired] string Id,
    [property: JsonRequired] string Kind,
    [property: JsonRequired] long KeySerial,
    [property: JsonRequired] long AttributesVersion,
    [property: JsonRequired] EnvelopeDto SealedAttributes,
    [property: JsonRequired] bool SafeForTravel,
    [property: JsonRequired] SignedWrapDto Grant);

/// <summary>A vault as one member sees it: its sealed attributes, the key wrapped to them, and the succession envelopes.</summary>
/// <param name="Id">Vault id.</param>
/// <param name="Kind"><c>personal</c> or <c>shared</c>.</param>
/// <param name="KeySerial">The current vault key serial; writes under another are refused.</param>
/// <param name="AttributesVersion">Version of the sealed attributes.</param>
/// <param name="SealedAttributes">Name and description, sealed by the current vault key.</param>
/// <param name="ContentVersion">Grows with every change to the vault or its items.</param>
/// <param name="SafeForTravel">Whether the vault stays on devices in travel mode.</param>
/// <param name="Grants">The grants through which the caller holds the vault (to them, or to a group they are in).</param>
/// <param name="Successions">Every succession envelope, oldest first.</param>
public sealed record VaultDto(
    string Id,
    string Kind,
    long KeySerial,
    long AttributesVersion,
    EnvelopeDto SealedAttributes,
    long ContentVersion,
    bool SafeForTravel,
    IReadOnlyList<VaultGrantDto> Grants,
    IReadOnlyList<VaultSuccessionDto> Successions);

/// <summary>A grant: the vault key wrapped to a member or group, and what the grant allows.</summary>
/// <param name="Wrap">The signed wrap.</param>
/// <param name="Permissions">Vault permission names (<see cref="VaultPermissions"/>).</param>
public sealed record VaultGrantDto(SignedWrapDto Wrap, IReadOnlyList<string> Permissions);

/// <summary>SHA-256 of vault key <paramref name="Serial"/>, sealed by key serial − 1 (PROTOCOL.md §5).</summary>
/// <param name="Serial">The new key's serial.</param>
/// <param name="Succession">The envelope, context <c>coffer/vault/&lt;id&gt;/succ/&lt;serial&gt;</c>.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record VaultSuccessionDto([property: JsonRequired] long Serial, [property: JsonRequired] EnvelopeDto Succession);

/// <summary>The vaults the caller can see.</summary>
/// <param name="Vaults">Each one.</param>
public sealed record VaultListResponse(IReadOnlyList<VaultDto> Vaults);

/// <summary>
/// A new version of an item, sealed by the client under a fresh item key (PROTOCOL.md §5). A new item is
/// version 1 (<see cref="BaseVersion"/> 0); an update names the version it was made from and is version <c>BaseVersion + 1</c>.
/// </summary>
/// <param name="BaseVersion">0 for a new item; otherwise the stored version the edit started from.</param>
/// <param name="VaultKeySerial">The vault key the item key is sealed under; must be the current one.</param>
/// <param name="SealedItemKey">The item key under the vault key.</param>
/// <param name="SealedOverview">The overview under the item key.</param>
/// <param name="SealedDetails">The details under the item key.</param>
/// <param name="Archived">Mirror of the sealed overview's <c>archived</c>.</param>
/// <param name="Trashed">Mirror of the sealed overview's <c>trashed</c>.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ItemWriteRequest(
    [property: JsonRequired] long BaseVersion,
    [property: JsonRequired] long VaultKeySerial,
    [property: JsonRequired] EnvelopeDto SealedItemKey,
    [property: JsonRequired] EnvelopeDto SealedOverview,
    [property: JsonRequired] EnvelopeDto SealedDetails,
    [property: JsonRequired] bool Archived,
    [property: JsonRequired] bool Trashed);

/// <summary>One stored version of an item.</summary>
/// <param name="Id">Item id.</param>
/// <param name="VaultId">Its vault.</param>
/// <param name="Version">This version.</param>
/// <param name="VaultKeySerial">The vault key its item key is sealed under.</param>
/// <param name="SealedItemKey">The item key.</param>
/// <param name="SealedOverview">The overview.</param>
/// <param name="SealedDetails">The details.</param>
/// <param name="Archived">Plaintext mirror of the sealed flag.</param>
/// <param name="Trashed">Plaintext mirror of the sealed flag.</param>
/// <param name="UpdatedAt">When the server stored it (Unix ms).</param>
/// <param name="ContentVersion">The vault content version of this change (0 for history entries).</param>
public sealed record ItemDto(
    string Id,
    string VaultId,
    long Version,
    long VaultKeySerial,
    EnvelopeDto SealedItemKey,
    EnvelopeDto SealedOverview,
    EnvelopeDto SealedDetails,
    bool Archived,
    bool Trashed,
    long UpdatedAt,
    long ContentVersion);

/// <summary>A deleted item's sealed tombstone.</summary>
/// <param name="Id">Item id.</param>
/// <param name="Version">The tombstone's version (the item's last + 1).</param>
/// <param name="VaultKeySerial">The vault key its item key is sealed under.</param>
/// <param name="SealedItemKey">The item key.</param>
/// <param name="SealedTombstone">The tombstone body.</param>
/// <param name="ContentVersion">The vault content version of the deletion.</param>
public sealed record TombstoneDto(string Id, long Version, long VaultKeySerial, EnvelopeDto SealedItemKey, EnvelopeDto SealedTombstone, long ContentVersion);

/// <summary>
/// One page of a vault's items and tombstones changed after a cursor, each list in content-version order (PROTOCOL.md §9).
/// A page holds every change up to <paramref name="NextSince"/>; it may exceed the limit when one change touched more
/// items than the limit (a key rotation re-wraps every item key at one version).
/// </summary>
/// <param name="ContentVersion">The vault's content version when read.</param>
/// <param name="Items">Items changed after the cursor (their current version).</param>
/// <param name="Tombstones">Items deleted after the cursor.</param>
/// <param name="NextSince">The cursor for the next page: every change up to this content version is in this page or an earlier one.</param>
/// <param name="HasMore">True while changes after <paramref name="NextSince"/> were left for the next page.</param>
public sealed record ItemListResponse(long ContentVersion, IReadOnlyList<ItemDto> Items, IReadOnlyList<TombstoneDto> Tombstones, long NextSince, bool HasMore);

/// <summary>Earlier versions of an item, newest first.</summary>
/// <param name="Versions">Each stored version.</param>
public sealed record ItemHistoryResponse(IReadOnlyList<ItemDto> Versions);

/// <summary>Deletes an item for good, leaving a sealed tombstone as version <c>BaseVersion + 1</c>.</summary>
/// <param name="BaseVersion">The stored version being deleted.</param>
/// <param name="VaultKeySerial">The current vault key serial.</param>
/// <param name="SealedItemKey">The tombstone's item key under the vault key.</param>
/// <param name="SealedTombstone">The tombstone under that item key.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DeleteItemRequest(
    [property: JsonRequired] long BaseVersion,
    [property: JsonRequired] long VaultKeySerial,
    [property: JsonRequired] EnvelopeDto SealedItemKey,
    [property: JsonRequired] EnvelopeDto SealedTombstone);

/// <summary>
/// Rotates a vault's key in one call (PROTOCOL.md §5 "Removing access"): the new key's succession envelope,
/// every current item key re-sealed under it, and every grant re-wrapped. A partial set is refused.
/// </summary>
/// <param name="ExpectedVaultVersion">The content version the client read; 409 <c>vault-changed</c> if it moved.</param>
/// <param name="NewKeySerial">Current serial + 1.</param>
/// <param name="Succession">SHA-256 of the new key sealed by the current key.</param>
/// <param name="ItemKeys">Every current item's key, at its current version, sealed under the new key.</param>
/// <param name="Grants">Every current grant, wrapped anew (permissions are kept).</param>
/// <param name="AttributesVersion">The attributes' new version.</param>
/// <param name="SealedAttributes">The attributes sealed under the new key.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RotateVaultRequest(
    [property: JsonRequired] long ExpectedVaultVersion,
    [property: JsonRequired] long NewKeySerial,
    [property: JsonRequired] EnvelopeDto Succession,
    [property: JsonRequired] IReadOnlyList<ItemKeyDto> ItemKeys,
    [property: JsonRequired] IReadOnlyList<SignedWrapDto> Grants,
    [property: JsonRequired] long AttributesVersion,
    [property: JsonRequired] EnvelopeDto SealedAttributes);

/// <summary>An item's key re-sealed under a new vault key; the item's version and content stay.</summary>
/// <param name="ItemId">Item id.</param>
/// <param name="Version">The item's current version.</param>
/// <param name="SealedItemKey">The same item key, sealed under the new vault key.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ItemKeyDto([property: JsonRequired] string ItemId, [property: JsonRequired] long Version, [property: JsonRequired] EnvelopeDto SealedItemKey);

/// <summary>
/// <c>PUT /api/v1/vaults/{vaultId}/grants/{principalKind}/{principalId}</c> (manage_vault): gives a member or group the vault,
/// or replaces their grant. The wrap carries the vault's current key to the principal's certified encryption key, signed by
/// the caller's certified signing key (PROTOCOL.md §5.1); the server checks both against the certificates it holds.
/// </summary>
/// <param name="Wrap">The signed wrap: object kind <c>vault</c>, this vault, its current key serial, the principal as recipient.</param>
/// <param name="Permissions">A non-empty set of vault permissions (<see cref="VaultPermissions"/>) including <c>view_items</c>.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PutVaultGrantRequest(
    [property: JsonRequired] SignedWrapDto Wrap,
    [property: JsonRequired] IReadOnlyList<string> Permissions);

/// <summary>
/// <c>PATCH /api/v1/vaults/{vaultId}/grants/{principalKind}/{principalId}</c> (manage_vault): changes only the permissions
/// of an existing grant; its wrap stays.
/// </summary>
/// <param name="Permissions">A non-empty set of vault permissions including <c>view_items</c>.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ChangeVaultGrantRequest([property: JsonRequired] IReadOnlyList<string> Permissions);

/// <summary>A grant as a vault manager sees it: who holds the vault, what they may do, and which wrap they hold.</summary>
/// <param name="PrincipalKind"><c>member</c> or <c>group</c>.</param>
/// <param name="PrincipalId">The member or group.</param>
/// <param name="Permissions">Vault permission names, in POLICY.md's order.</param>
/// <param name="KeySerial">The vault key serial the grant's wrap carries.</param>
/// <param name="RecipientKeysetSerial">The principal's keyset serial the wrap was made for.</param>
/// <param name="SignerId">The member who wrapped and signed.</param>
public sealed record VaultGrantSummaryDto(
    string PrincipalKind,
    string PrincipalId,
    IReadOnlyList<string> Permissions,
    long KeySerial,
    long RecipientKeysetSerial,
    string SignerId);

/// <summary><c>GET /api/v1/vaults/{vaultId}/grants</c> (manage_vault): every grant of the vault.</summary>
/// <param name="VaultId">The vault.</param>
/// <param name="KeySerial">Its current key serial.</param>
/// <param name="ContentVersion">Its content version when read.</param>
/// <param name="Grants">Every grant, members first, then groups, each by id.</param>
public sealed record VaultGrantListResponse(string VaultId, long KeySerial, long ContentVersion, IReadOnlyList<VaultGrantSummaryDto> Grants);

/// <summary>What a client reports it did with an item's secrets (POLICY.md "Accounting": reveal, copy and autofill are reported by clients).</summary>
public static class ItemUsageActions
{
    /// <summary>A concealed value was shown (<c>--reveal</c>, <c>--field</c> of a concealed field).</summary>
    public const string Reveal = "reveal";

    /// <summary>A value was copied to the clipboard.</summary>
    public const string Copy = "copy";

    /// <summary>A one-time password was shown or copied.</summary>
    public const string Otp = "otp";

    /// <summary>A value was filled into a page or program.</summary>
    public const string Autofill = "autofill";

    /// <summary>Every action, for validation.</summary>
    public static readonly IReadOnlyList<string> All = [Reveal, Copy, Otp, Autofill];
}

/// <summary>One use of an item's secret, as the client saw it. Ids only: never a value, a label or a title.</summary>
/// <param name="VaultId">The item's vault.</param>
/// <param name="ItemId">The item.</param>
/// <param name="Action"><see cref="ItemUsageActions"/>.</param>
/// <param name="Field">The field's purpose (<c>password</c>, <c>username</c>, <c>otp</c>…) or <c>other</c>; never its label, which is sealed item content.</param>
/// <param name="At">When it happened on the client (Unix ms); the event's own time is the server's.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ItemUsageDto(
    [property: JsonRequired] string VaultId,
    [property: JsonRequired] string ItemId,
    [property: JsonRequired] string Action,
    string? Field,
    [property: JsonRequired] long At);

/// <summary><c>POST /api/v1/vaults/usage</c>: uses of items' secrets to put in the activity log (1–100 per call).</summary>
/// <param name="Events">The uses, oldest first.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ItemUsageReport([property: JsonRequired] IReadOnlyList<ItemUsageDto> Events);

/// <summary>What was logged: uses in vaults the caller can no longer read are skipped, not logged.</summary>
/// <param name="Recorded">Events now in the activity log.</param>
/// <param name="Skipped">Events in vaults the caller has no grant to.</param>
public sealed record ItemUsageRecorded(
    [property: JsonRequired] int Recorded,
    [property: JsonRequired] int Skipped);
