using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Coffer.Contracts;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Items;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Http;
using Coffer.Sdk.Ids;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Vaults;

/// <summary>
/// Vaults and items for one unlocked member over their session (PROTOCOL.md §4-5): makes vault keys and signed
/// self-grants, seals every item write under a fresh item key, opens what it reads, shares vaults with members whose
/// certificates it verified to the pinned organisation root, and rotates vault keys in one call, re-wrapping the new key
/// to every grantee after verifying each one's keys. It keeps the highest vault key it has accepted per vault and never
/// writes under another; a key it has not seen is taken only from a signed grant to this member (or to a group it opened)
/// whose signer's certificate chain it verified (PROTOCOL.md §5.1).
/// Dispose it to zero the vault keys it holds.
/// </summary>
public sealed class VaultClient : IDisposable
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly Func<CofferSession> _session;
    private readonly UnlockedAccount _account;
    private readonly TimeProvider _clock;
    private readonly VaultKeyring _keyring;

    /// <summary>A client for <paramref name="account"/>, signed in as <paramref name="session"/>.</summary>
    public VaultClient(CofferSession session, UnlockedAccount account, TimeProvider? clock = null)
        : this(Current(session), account, clock)
    {
    }

    /// <summary>
    /// A client for <paramref name="account"/> whose session may be replaced while it lives: <paramref name="session"/> is
    /// asked for the current one at every call. For a long-lived client (the CLI's agent) that signs in again when the server
    /// ends an idle session, so the keys this client verified and holds outlive that session.
    /// </summary>
    public VaultClient(Func<CofferSession> session, UnlockedAccount account, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(account);
        _session = session;
        _account = account;
        _clock = clock ?? TimeProvider.System;
        _keyring = new VaultKeyring(account, FetchCertificateAsync);
    }

    /// <summary>The keys this client holds and the rules it takes new ones by (shared with the sync and the local cache).</summary>
    internal VaultKeyring Keyring => _keyring;

    /// <summary>The session this client speaks over.</summary>
    internal CofferSession Session => _session();

    /// <summary>Creates a vault with a new key, its sealed attributes (<c>{v:1, name}</c>) and a signed grant to this member.</summary>
    public async Task<VaultDto> CreateVaultAsync(string kind, string name, bool safeForTravel = false, CancellationToken cancellationToken = default)
    {
        string vaultId = UuidV7.New(_clock);
        VaultKey key = VaultKey.Generate(vaultId);
        try
        {
            CreateVaultRequest request = NewVaultRequest(key, kind, name, safeForTravel, _account.Keyset, _account.MemberId);
            VaultDto vault = await Session.SendAsync(HttpMethod.Post, "/api/v1/vaults", request, Json.CreateVaultRequest, Json.VaultDto, cancellationToken)
                .ConfigureAwait(false);
            _keyring.Hold(key);
            return vault;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The vaults this member can see.</summary>
    public async Task<IReadOnlyList<VaultDto>> ListVaultsAsync(CancellationToken cancellationToken = default) =>
        (await Session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Json.VaultListResponse, cancellationToken).ConfigureAwait(false)).Vaults;

    /// <summary>Opens a vault's attributes JSON under its current key.</summary>
    public async Task<byte[]> OpenAttributesAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        VaultDto vault = await GetVaultAsync(vaultId, cancellationToken).ConfigureAwait(false);
        VaultKey key = await _keyring.KeyAsync(vault, cancellationToken).ConfigureAwait(false);
        return key.OpenAttributes(checked((int)vault.AttributesVersion), WireMapper.ToEnvelope(vault.SealedAttributes, "vault.sealedAttributes"))
            ?? throw new CofferProtocolException("The vault's attributes do not open under its key.");
    }

    /// <summary>Creates an item (version 1) from its overview and details JSON.</summary>
    public Task<ItemDto> CreateItemAsync(string vaultId, byte[] overviewJson, byte[] detailsJson, CancellationToken cancellationToken = default) =>
        WriteItemAsync(vaultId, UuidV7.New(_clock), 0, overviewJson, detailsJson, "", cancellationToken);

    /// <summary>Stores a new version of an item, made from <paramref name="baseVersion"/>, under a fresh item key.</summary>
    public Task<ItemDto> UpdateItemAsync(string vaultId, string itemId, long baseVersion, byte[] overviewJson, byte[] detailsJson,
        CancellationToken cancellationToken = default) =>
        WriteItemAsync(vaultId, itemId, baseVersion, overviewJson, detailsJson, "", cancellationToken);

    /// <summary>Archives an item: its overview re-sealed with <c>archived</c> set.</summary>
    public Task<ItemDto> ArchiveItemAsync(string vaultId, string itemId, CancellationToken cancellationToken = default) =>
        ChangeStateAsync(vaultId, itemId, "archive", archived: true, trashed: null, cancellationToken);

    /// <summary>Moves an item to the trash: its overview re-sealed with <c>trashed</c> set.</summary>
    public Task<ItemDto> TrashItemAsync(string vaultId, string itemId, CancellationToken cancellationToken = default) =>
        ChangeStateAsync(vaultId, itemId, "trash", archived: null, trashed: true, cancellationToken);

    /// <summary>Restores an item from the trash or the archive: both flags cleared.</summary>
    public Task<ItemDto> RestoreItemAsync(string vaultId, string itemId, CancellationToken cancellationToken = default) =>
        ChangeStateAsync(vaultId, itemId, "restore", archived: false, trashed: false, cancellationToken);

    /// <summary>Deletes an item for good: a sealed tombstone (<c>{v:1, deletedAt}</c>) replaces it as version <c>baseVersion + 1</c>.</summary>
    public async Task DeleteItemAsync(string vaultId, string itemId, long baseVersion, CancellationToken cancellationToken = default)
    {
        VaultKey key = await _keyring.KeyAsync(await GetVaultAsync(vaultId, cancellationToken).ConfigureAwait(false), cancellationToken, preferHeld: true)
            .ConfigureAwait(false);
        byte[] body = System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{{\"v\":1,\"deletedAt\":{_clock.GetUtcNow().ToUnixTimeMilliseconds()}}}"));
        SealedTombstone tombstone = ItemCrypto.SealTombstone(key, itemId, baseVersion + 1, body);
        DeleteItemRequest request = new(baseVersion, tombstone.VaultKeySerial, WireMapper.ToDto(tombstone.SealedItemKey),
            WireMapper.ToDto(tombstone.SealedTombstoneBody));
        _ = await Session.ExchangeAsync(HttpMethod.Post, ItemPath(vaultId, itemId) + "/delete",
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(request, Json.DeleteItemRequest), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads an item and opens its overview and details.</summary>
    public async Task<OpenedItem> GetItemAsync(string vaultId, string itemId, CancellationToken cancellationToken = default)
    {
        ItemDto item = await Session.SendAsync(HttpMethod.Get, ItemPath(vaultId, itemId), Json.ItemDto, cancellationToken).ConfigureAwait(false);
        return await OpenAsync(item, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every stored version of an item, newest first, still sealed (each under the vault key of its time: a version written
    /// before a rotation opens only with the key it was sealed under). Clients show it only with <c>view_item_history</c>.
    /// </summary>
    public async Task<IReadOnlyList<ItemDto>> ItemHistoryAsync(string vaultId, string itemId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        return (await Session.SendAsync(HttpMethod.Get, ItemPath(vaultId, itemId) + "/history", Json.ItemHistoryResponse, cancellationToken)
            .ConfigureAwait(false)).Versions;
    }

    /// <summary>Lists a vault's current items and tombstones (still sealed), following every page.</summary>
    public async Task<ItemListResponse> ListItemsAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        Dictionary<string, ItemDto> items = new(StringComparer.Ordinal);
        Dictionary<string, TombstoneDto> tombstones = new(StringComparer.Ordinal);
        ItemListResponse page;
        long since = 0;
        do
        {
            page = await ListChangesAsync(vaultId, since, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (ItemDto item in page.Items)
            {
                items[item.Id] = item;
            }
            foreach (TombstoneDto tombstone in page.Tombstones)
            {
                items.Remove(tombstone.Id);
                tombstones[tombstone.Id] = tombstone;
            }
            since = page.NextSince;
        }
        while (page.HasMore);
        return new ItemListResponse(page.ContentVersion, [.. items.Values.OrderBy(i => i.ContentVersion).ThenBy(i => i.Id, StringComparer.Ordinal)],
            [.. tombstones.Values.OrderBy(t => t.ContentVersion).ThenBy(t => t.Id, StringComparer.Ordinal)], page.NextSince, false);
    }

    /// <summary>Follows the vault announcements for this member; returns once the server is listening.</summary>
    public Task<VaultEvents> SubscribeAsync(CancellationToken cancellationToken = default) =>
        VaultEvents.OpenAsync(Session, cancellationToken);

    /// <summary>
    /// One page of the changes to a vault after <paramref name="since"/> (PROTOCOL.md §9): items and sealed tombstones in
    /// content-version order, with the next cursor. A cursor older than the tombstone retention throws
    /// <see cref="CofferApiException"/> with status 410 (<c>cursor-expired</c>): sync the vault from 0.
    /// </summary>
    public Task<ItemListResponse> ListChangesAsync(string vaultId, long since, int? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        ArgumentOutOfRangeException.ThrowIfNegative(since);
        string path = string.Create(CultureInfo.InvariantCulture, $"/api/v1/vaults/{vaultId}/items?since={since}")
            + (limit is { } n ? string.Create(CultureInfo.InvariantCulture, $"&limit={n}") : "");
        return Session.SendAsync(HttpMethod.Get, path, Json.ItemListResponse, cancellationToken);
    }

    /// <summary>Opens a stored item version; the item's vault key must be the one this client holds.</summary>
    public async Task<OpenedItem> OpenAsync(ItemDto item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        VaultKey key = await _keyring.KeyAsync(await GetVaultAsync(item.VaultId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        SealedItem sealedItem = new(item.Id, item.Version, checked((int)item.VaultKeySerial), WireMapper.ToEnvelope(item.SealedItemKey, "item.sealedItemKey"),
            WireMapper.ToEnvelope(item.SealedOverview, "item.sealedOverview"), WireMapper.ToEnvelope(item.SealedDetails, "item.sealedDetails"));
        byte[] overview = ItemCrypto.OpenOverview(key, sealedItem) ?? throw new CofferProtocolException("could not decrypt");
        byte[] details = ItemCrypto.OpenDetails(key, sealedItem) ?? throw new CofferProtocolException("could not decrypt");
        return new OpenedItem(item, overview, details);
    }

    /// <summary>
    /// Prepares a rotation of the vault key: the successor key and its succession envelope, every current item key
    /// re-sealed under it, the attributes re-sealed and every grant re-wrapped, against the vault version read.
    /// Nothing is sent; <see cref="CommitRotationAsync"/> sends it.
    /// </summary>
    public async Task<VaultRotation> PrepareRotationAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        VaultDto vault = await GetVaultAsync(vaultId, cancellationToken).ConfigureAwait(false);
        VaultKey key = await _keyring.KeyAsync(vault, cancellationToken).ConfigureAwait(false);
        if (key.Serial != vault.KeySerial)
        {
            throw new CofferProtocolException("The vault's key serial went back below the one this client holds; refusing to rotate.");
        }
        VaultGrantListResponse granted = await ListGrantsAsync(vaultId, cancellationToken).ConfigureAwait(false);
        List<Recipient> recipients = [];
        foreach (VaultGrantSummaryDto grant in granted.Grants)
        {
            recipients.Add(await RecipientAsync(grant.PrincipalKind, grant.PrincipalId, cancellationToken).ConfigureAwait(false));
        }
        ItemListResponse items = await ListItemsAsync(vaultId, cancellationToken).ConfigureAwait(false);
        (VaultKey next, Envelope succession) = key.Rotate();
        try
        {
            List<ItemKeyDto> itemKeys = [];
            foreach (ItemDto item in items.Items)
            {
                Envelope resealed = ItemCrypto.ResealItemKey(key, next, item.Id, item.Version, WireMapper.ToEnvelope(item.SealedItemKey, "item.sealedItemKey"))
                    ?? throw new CofferProtocolException("could not decrypt");
                itemKeys.Add(new ItemKeyDto(item.Id, item.Version, WireMapper.ToDto(resealed)));
            }
            int attributesVersion = checked((int)vault.AttributesVersion);
            byte[] attributes = key.OpenAttributes(attributesVersion, WireMapper.ToEnvelope(vault.SealedAttributes, "vault.sealedAttributes"))
                ?? throw new CofferProtocolException("could not decrypt");
            Envelope sealedAttributes;
            try
            {
                sealedAttributes = next.SealAttributes(attributesVersion + 1, attributes);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(attributes);
            }
            // Every grantee, each one's keys verified before anything is wrapped to them; the server refuses a partial set.
            List<SignedWrapDto> grants = [.. recipients.Select(r => WrapTo(next, r))];
            RotateVaultRequest request = new(vault.ContentVersion, next.Serial, WireMapper.ToDto(succession), itemKeys, grants, attributesVersion + 1,
                WireMapper.ToDto(sealedAttributes));
            return new VaultRotation(vaultId, request, next);
        }
        catch
        {
            next.Dispose();
            throw;
        }
    }

    /// <summary>Sends a prepared rotation; on success this client holds the new key from then on.</summary>
    public async Task<VaultDto> CommitRotationAsync(VaultRotation rotation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rotation);
        VaultDto vault = await Session.SendAsync(HttpMethod.Post, "/api/v1/vaults/" + rotation.VaultId + "/rotate", rotation.Request,
            Json.RotateVaultRequest, Json.VaultDto, cancellationToken).ConfigureAwait(false);
        _keyring.Hold(rotation.TakeKey());
        return vault;
    }

    /// <summary>Rotates the vault key (prepare and commit).</summary>
    public async Task<VaultDto> RotateAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        using VaultRotation rotation = await PrepareRotationAsync(vaultId, cancellationToken).ConfigureAwait(false);
        return await CommitRotationAsync(rotation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Shares a vault with a member (PROTOCOL.md §5.1): fetches the member's certificate, checks its chain to the pinned
    /// organisation root, the keys it names and this device's pins, then wraps the vault's current key to the certified
    /// encryption key, signs the wrap and sends it with <paramref name="permissions"/> (a set including <c>view_items</c>).
    /// Changes the permissions and the wrap of an existing grant. Needs manage_vault on the vault.
    /// </summary>
    /// <exception cref="ArgumentException">The permissions are empty, unknown, repeated or lack <c>view_items</c>.</exception>
    /// <exception cref="ProvenanceException">The member's certificate could not be verified; nothing was sent.</exception>
    public Task<VaultGrantSummaryDto> ShareAsync(string vaultId, string memberId, IEnumerable<string> permissions,
        CancellationToken cancellationToken = default) =>
        ShareWithAsync(vaultId, CertKinds.Member, memberId, permissions, cancellationToken);

    /// <summary>
    /// Shares a vault with a group (PROTOCOL.md §5.1): fetches the group's current certificate (<c>GET /api/v1/groups/{id}</c>),
    /// checks its chain to the pinned organisation root, the revocation list and the keys pinned for the group (a newer key
    /// only through its signed successions), then wraps the vault's current key to the certified encryption key; otherwise
    /// as <see cref="ShareAsync"/>. Any group may be given a vault, not only those this account belongs to or manages.
    /// </summary>
    /// <exception cref="ProvenanceException">The group's certificate could not be verified; nothing was sent.</exception>
    public Task<VaultGrantSummaryDto> ShareWithGroupAsync(string vaultId, string groupId, IEnumerable<string> permissions,
        CancellationToken cancellationToken = default) =>
        ShareWithAsync(vaultId, CertKinds.Group, groupId, permissions, cancellationToken);

    /// <summary>Changes only the permissions of an existing grant (no new wrap). Needs manage_vault.</summary>
    /// <param name="vaultId">The vault.</param>
    /// <param name="principalKind"><c>member</c> or <c>group</c>.</param>
    /// <param name="principalId">The member or group.</param>
    /// <param name="permissions">The new set, including <c>view_items</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<VaultGrantSummaryDto> ChangePermissionsAsync(string vaultId, string principalKind, string principalId, IEnumerable<string> permissions,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> canonical = CanonicalPermissions(permissions);
        return Session.SendAsync(HttpMethod.Patch, GrantPath(vaultId, principalKind, principalId), new ChangeVaultGrantRequest(canonical),
            Json.ChangeVaultGrantRequest, Json.VaultGrantSummaryDto, cancellationToken);
    }

    /// <summary>Every grant of a vault: who holds it and with which permissions. Needs manage_vault.</summary>
    public Task<VaultGrantListResponse> ListGrantsAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        return Session.SendAsync(HttpMethod.Get, "/api/v1/vaults/" + vaultId + "/grants", Json.VaultGrantListResponse, cancellationToken);
    }

    /// <summary>
    /// Takes a member's or group's access away (PROTOCOL.md §5 "Removing access"): the server stops serving them the vault
    /// at once, then this client rotates the vault key, re-wrapping it to every remaining grantee after verifying their keys,
    /// so nothing written from then on is under a key they saw. Returns the rotated vault, or null when this member removed
    /// their own grant (another manager must rotate). If the rotation fails (say, a grantee's keys cannot be verified), the
    /// grant stays removed and <see cref="RotateAsync"/> can be called again.
    /// </summary>
    public async Task<VaultDto?> UnshareAsync(string vaultId, string principalKind, string principalId, CancellationToken cancellationToken = default)
    {
        await Session.SendAsync(HttpMethod.Delete, GrantPath(vaultId, principalKind, principalId), cancellationToken).ConfigureAwait(false);
        if (principalKind == CertKinds.Member && principalId == _account.MemberId)
        {
            _keyring.Forget(vaultId);
            return null;
        }
        return await RotateAsync(vaultId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Fetches a member's certificate and verifies it (PROTOCOL.md §5.1): it must name that member, chain through its issuer
    /// to the pinned organisation root, not be revoked, and agree with the keys this device pinned for the member (the pins
    /// of the account are updated; the caller seals and stores them).
    /// </summary>
    /// <exception cref="ProvenanceException">The certificate could not be verified.</exception>
    public async Task<MemberCertificate> VerifyMemberAsync(string memberId, CancellationToken cancellationToken = default) =>
        (await _keyring.VerifiedMemberAsync(memberId, cancellationToken).ConfigureAwait(false)).Certificate;

    /// <summary>Zeroes every vault key held.</summary>
    public void Dispose()
    {
        _keyring.Dispose();
    }

    private async Task<ItemDto> WriteItemAsync(string vaultId, string itemId, long baseVersion, byte[] overviewJson, byte[] detailsJson, string action,
        CancellationToken cancellationToken)
    {
        VaultKey key = await _keyring.KeyAsync(await GetVaultAsync(vaultId, cancellationToken).ConfigureAwait(false), cancellationToken, preferHeld: true)
            .ConfigureAwait(false);
        // The server's plaintext flags mirror the sealed overview's, which stay the truth (PROTOCOL.md §4.1).
        (bool archived, bool trashed) = Flags(overviewJson);
        SealedItem sealedItem = ItemCrypto.Seal(key, itemId, baseVersion + 1, overviewJson, detailsJson);
        ItemWriteRequest request = new(baseVersion, sealedItem.VaultKeySerial, WireMapper.ToDto(sealedItem.SealedItemKey),
            WireMapper.ToDto(sealedItem.SealedOverview), WireMapper.ToDto(sealedItem.SealedDetails), archived, trashed);
        string path = ItemPath(vaultId, itemId) + action;
        return await Session.SendAsync(action.Length == 0 ? HttpMethod.Put : HttpMethod.Post, path, request, Json.ItemWriteRequest, Json.ItemDto,
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<ItemDto> ChangeStateAsync(string vaultId, string itemId, string action, bool? archived, bool? trashed,
        CancellationToken cancellationToken)
    {
        OpenedItem current = await GetItemAsync(vaultId, itemId, cancellationToken).ConfigureAwait(false);
        try
        {
            JsonObject overview = JsonNode.Parse(current.Overview) as JsonObject ?? throw new CofferProtocolException("The item's overview is not a JSON object.");
            if (archived is bool a)
            {
                overview["archived"] = a;
            }
            if (trashed is bool t)
            {
                overview["trashed"] = t;
            }
            byte[] changed = System.Text.Encoding.UTF8.GetBytes(overview.ToJsonString());
            try
            {
                return await WriteItemAsync(vaultId, itemId, current.Item.Version, changed, current.Details, "/" + action, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(changed);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(current.Overview);
            CryptographicOperations.ZeroMemory(current.Details);
        }
    }

    private static (bool Archived, bool Trashed) Flags(byte[] overviewJson)
    {
        JsonObject overview = JsonNode.Parse(overviewJson) as JsonObject ?? throw new ArgumentException("The overview must be a JSON object.", nameof(overviewJson));
        return (overview["archived"]?.GetValue<bool>() ?? false, overview["trashed"]?.GetValue<bool>() ?? false);
    }

    internal Task<VaultDto> GetVaultAsync(string vaultId, CancellationToken cancellationToken) =>
        Session.SendAsync(HttpMethod.Get, "/api/v1/vaults/" + vaultId, Json.VaultDto, cancellationToken);

    private async Task<VaultGrantSummaryDto> ShareWithAsync(string vaultId, string principalKind, string principalId, IEnumerable<string> permissions,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        ArgumentException.ThrowIfNullOrEmpty(principalId);
        IReadOnlyList<string> canonical = CanonicalPermissions(permissions);
        VaultDto vault = await GetVaultAsync(vaultId, cancellationToken).ConfigureAwait(false);
        VaultKey key = await _keyring.KeyAsync(vault, cancellationToken).ConfigureAwait(false);
        Recipient recipient = await RecipientAsync(principalKind, principalId, cancellationToken).ConfigureAwait(false);
        PutVaultGrantRequest request = new(WrapTo(key, recipient), canonical);
        return await Session.SendAsync(HttpMethod.Put, GrantPath(vaultId, principalKind, principalId), request, Json.PutVaultGrantRequest,
            Json.VaultGrantSummaryDto, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A principal's verified encryption key: this member's own, or a member's or group's from its certificate, verified now.</summary>
    private async Task<Recipient> RecipientAsync(string kind, string id, CancellationToken cancellationToken)
    {
        if (kind == CertKinds.Member)
        {
            MemberCertificate certificate = id == _account.MemberId
                ? _account.Certificate
                : (await _keyring.VerifiedMemberAsync(id, cancellationToken).ConfigureAwait(false)).Certificate;
            return new Recipient(kind, id, checked((int)certificate.Record.KeysetSerial), certificate.EncryptionPublicKey);
        }
        if (kind == CertKinds.Group)
        {
            // Always the group's current certificate as served now, verified to the pinned root, not revoked, and following any
            // key pinned for the group only through its signed successions: a group rotated since unlock gets its new key.
            GroupCertificate certificate = (await GroupClient.GetVerifiedAsync(Session, _account, id, cancellationToken).ConfigureAwait(false)).Certificate;
            return new Recipient(kind, id, checked((int)certificate.Record.KeysetSerial), certificate.EncryptionPublicKey);
        }
        throw new CofferProtocolException("The server named a grant to something that is neither a member nor a group.");
    }

    internal Task<MemberCertificateResponse> FetchCertificateAsync(string memberId, CancellationToken cancellationToken) =>
        Session.SendAsync(HttpMethod.Get, $"/api/v1/members/{Uri.EscapeDataString(memberId)}/certificate", Json.MemberCertificateResponse,
            cancellationToken);

    private SignedWrapDto WrapTo(VaultKey key, Recipient recipient)
    {
        byte[] wrap = key.WrapTo(recipient.EncryptionPublicKey);
        SignedWrap signed = Signing.SignWrap(_account.Keyset.SigningKey, _account.MemberId, WrapObjectKinds.Vault, key.VaultId, key.Serial, recipient.Id,
            recipient.EncryptionPublicKey, wrap);
        return WireMapper.ToDto(signed, recipient.Kind, recipient.KeysetSerial);
    }

    /// <summary>
    /// A new vault's request: attributes <c>{v:1, name}</c> sealed under key 1 and the key wrapped to <paramref name="keyset"/>,
    /// signed by its signing key (a self-grant; docs/adr/0011 for a personal vault made before the keyset is certified).
    /// </summary>
    internal static CreateVaultRequest NewVaultRequest(VaultKey key, string kind, string name, bool safeForTravel, Keyset keyset, string memberId)
    {
        byte[] attributes = AttributesJson(name);
        try
        {
            Envelope sealedAttributes = key.SealAttributes(1, attributes);
            byte[] wrap = key.WrapTo(keyset.EncryptionPublicKey);
            SignedWrap signed = Signing.SignWrap(keyset.SigningKey, memberId, WrapObjectKinds.Vault, key.VaultId, key.Serial, memberId,
                keyset.EncryptionPublicKey, wrap);
            return new CreateVaultRequest(key.VaultId, kind, key.Serial, 1, WireMapper.ToDto(sealedAttributes), safeForTravel,
                WireMapper.ToDto(signed, CertKinds.Member, keyset.Serial));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(attributes);
        }
    }

    private static Func<CofferSession> Current(CofferSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return () => session;
    }

    private static IReadOnlyList<string> CanonicalPermissions(IEnumerable<string> permissions)
    {
        ArgumentNullException.ThrowIfNull(permissions);
        return VaultPermissions.Canonical([.. permissions])
            ?? throw new ArgumentException("Vault permissions must be a non-empty set of known names, each once, including view_items.", nameof(permissions));
    }

    private static byte[] AttributesJson(string name)
    {
        using MemoryStream buffer = new();
        using (System.Text.Json.Utf8JsonWriter writer = new(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", 1);
            writer.WriteString("name", name);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static string GrantPath(string vaultId, string principalKind, string principalId)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        ArgumentException.ThrowIfNullOrEmpty(principalId);
        if (principalKind is not (CertKinds.Member or CertKinds.Group))
        {
            throw new ArgumentException("A grant's principal is a member or a group.", nameof(principalKind));
        }
        return $"/api/v1/vaults/{Uri.EscapeDataString(vaultId)}/grants/{principalKind}/{Uri.EscapeDataString(principalId)}";
    }

    private static string ItemPath(string vaultId, string itemId) =>
        string.Create(CultureInfo.InvariantCulture, $"/api/v1/vaults/{vaultId}/items/{itemId}");
}

/// <summary>An item version and its opened overview and details JSON (the caller zeroes them when done).</summary>
/// <param name="Item">The stored version.</param>
/// <param name="Overview">Overview JSON.</param>
/// <param name="Details">Details JSON.</param>
public sealed record OpenedItem(ItemDto Item, byte[] Overview, byte[] Details);

/// <summary>A prepared vault-key rotation: the request to send and the successor key, held until committed. Dispose to zero the key.</summary>
public sealed class VaultRotation : IDisposable
{
    private VaultKey? _next;

    internal VaultRotation(string vaultId, RotateVaultRequest request, VaultKey next)
    {
        VaultId = vaultId;
        Request = request;
        _next = next;
    }

    /// <summary>The vault.</summary>
    public string VaultId { get; }

    /// <summary>The request (a caller may inspect it; sending a changed one is refused unless it is complete).</summary>
    public RotateVaultRequest Request { get; set; }

    internal VaultKey TakeKey()
    {
        VaultKey key = _next ?? throw new InvalidOperationException("The rotation was already committed.");
        _next = null;
        return key;
    }

    /// <summary>Zeroes the successor key unless it was committed.</summary>
    public void Dispose() => _next?.Dispose();
}

/// <summary>A principal whose private key this client holds (itself or a group it opened), with its certified encryption fingerprint.</summary>
internal sealed record Holder(string Kind, string Id, Keyset Keyset, Fingerprint EncryptionFingerprint);

/// <summary>A principal to wrap a vault key to, with the encryption key and keyset serial its verified certificate names.</summary>
internal sealed record Recipient(string Kind, string Id, int KeysetSerial, byte[] EncryptionPublicKey);
