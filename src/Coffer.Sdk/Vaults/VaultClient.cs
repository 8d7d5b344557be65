using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Coffer.Contracts;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Items;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Ids;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Vaults;

/// <summary>
/// Vaults and items for one unlocked member over their session (PROTOCOL.md §4-5): makes vault keys and signed
/// self-grants, seals every item write under a fresh item key, opens what it reads, and rotates vault keys in one
/// call. It keeps the highest vault key it has accepted per vault and never writes under another; a key it has
/// not seen is taken only from a grant it can verify (for now: one it signed itself).
/// Dispose it to zero the vault keys it holds.
/// </summary>
public sealed class VaultClient : IDisposable
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;
    private readonly UnlockedAccount _account;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, VaultKey> _keys = new(StringComparer.Ordinal);

    /// <summary>A client for <paramref name="account"/>, signed in as <paramref name="session"/>.</summary>
    public VaultClient(CofferSession session, UnlockedAccount account, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(account);
        _session = session;
        _account = account;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Creates a vault with a new key, its sealed attributes (<c>{v:1, name}</c>) and a signed grant to this member.</summary>
    public async Task<VaultDto> CreateVaultAsync(string kind, string name, bool safeForTravel = false, CancellationToken cancellationToken = default)
    {
        string vaultId = UuidV7.New(_clock);
        VaultKey key = VaultKey.Generate(vaultId);
        try
        {
            byte[] attributes = AttributesJson(name);
            Envelope sealedAttributes = key.SealAttributes(1, attributes);
            CreateVaultRequest request = new(vaultId, kind, 1, 1, WireMapper.ToDto(sealedAttributes), safeForTravel, SelfGrant(key));
            VaultDto vault = await _session.SendAsync(HttpMethod.Post, "/api/v1/vaults", request, Json.CreateVaultRequest, Json.VaultDto, cancellationToken)
                .ConfigureAwait(false);
            _keys[vaultId] = key;
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
        (await _session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Json.VaultListResponse, cancellationToken).ConfigureAwait(false)).Vaults;

    /// <summary>Opens a vault's attributes JSON under its current key.</summary>
    public async Task<byte[]> OpenAttributesAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        VaultDto vault = await GetVaultAsync(vaultId, cancellationToken).ConfigureAwait(false);
        VaultKey key = await KeyAsync(vault, cancellationToken).ConfigureAwait(false);
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
        VaultKey key = await KeyAsync(await GetVaultAsync(vaultId, cancellationToken).ConfigureAwait(false), cancellationToken, preferHeld: true)
            .ConfigureAwait(false);
        byte[] body = System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{{\"v\":1,\"deletedAt\":{_clock.GetUtcNow().ToUnixTimeMilliseconds()}}}"));
        SealedTombstone tombstone = ItemCrypto.SealTombstone(key, itemId, baseVersion + 1, body);
        DeleteItemRequest request = new(baseVersion, tombstone.VaultKeySerial, WireMapper.ToDto(tombstone.SealedItemKey),
            WireMapper.ToDto(tombstone.SealedTombstoneBody));
        _ = await _session.ExchangeAsync(HttpMethod.Post, ItemPath(vaultId, itemId) + "/delete",
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(request, Json.DeleteItemRequest), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads an item and opens its overview and details.</summary>
    public async Task<OpenedItem> GetItemAsync(string vaultId, string itemId, CancellationToken cancellationToken = default)
    {
        ItemDto item = await _session.SendAsync(HttpMethod.Get, ItemPath(vaultId, itemId), Json.ItemDto, cancellationToken).ConfigureAwait(false);
        return await OpenAsync(item, cancellationToken).ConfigureAwait(false);
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
        VaultEvents.OpenAsync(_session, cancellationToken);

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
        return _session.SendAsync(HttpMethod.Get, path, Json.ItemListResponse, cancellationToken);
    }

    /// <summary>Opens a stored item version; the item's vault key must be the one this client holds.</summary>
    public async Task<OpenedItem> OpenAsync(ItemDto item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        VaultKey key = await KeyAsync(await GetVaultAsync(item.VaultId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
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
        VaultKey key = await KeyAsync(vault, cancellationToken).ConfigureAwait(false);
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
            // The server refuses a rotation that leaves out a grant; grants to others need their certified keys (not here yet).
            List<SignedWrapDto> grants = [.. vault.Grants.Select(g => g.Wrap.RecipientKind == CertKinds.Member && g.Wrap.RecipientId == _account.MemberId
                ? SelfGrant(next)
                : throw new NotSupportedException("Re-wrapping grants to other members and groups is not supported yet."))];
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
        VaultDto vault = await _session.SendAsync(HttpMethod.Post, "/api/v1/vaults/" + rotation.VaultId + "/rotate", rotation.Request,
            Json.RotateVaultRequest, Json.VaultDto, cancellationToken).ConfigureAwait(false);
        if (_keys.Remove(rotation.VaultId, out VaultKey? old))
        {
            old.Dispose();
        }
        _keys[rotation.VaultId] = rotation.TakeKey();
        return vault;
    }

    /// <summary>Rotates the vault key (prepare and commit).</summary>
    public async Task<VaultDto> RotateAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        using VaultRotation rotation = await PrepareRotationAsync(vaultId, cancellationToken).ConfigureAwait(false);
        return await CommitRotationAsync(rotation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Zeroes every vault key held.</summary>
    public void Dispose()
    {
        foreach (VaultKey key in _keys.Values)
        {
            key.Dispose();
        }
        _keys.Clear();
    }

    private async Task<ItemDto> WriteItemAsync(string vaultId, string itemId, long baseVersion, byte[] overviewJson, byte[] detailsJson, string action,
        CancellationToken cancellationToken)
    {
        VaultKey key = await KeyAsync(await GetVaultAsync(vaultId, cancellationToken).ConfigureAwait(false), cancellationToken, preferHeld: true)
            .ConfigureAwait(false);
        // The server's plaintext flags mirror the sealed overview's, which stay the truth (PROTOCOL.md §4.1).
        (bool archived, bool trashed) = Flags(overviewJson);
        SealedItem sealedItem = ItemCrypto.Seal(key, itemId, baseVersion + 1, overviewJson, detailsJson);
        ItemWriteRequest request = new(baseVersion, sealedItem.VaultKeySerial, WireMapper.ToDto(sealedItem.SealedItemKey),
            WireMapper.ToDto(sealedItem.SealedOverview), WireMapper.ToDto(sealedItem.SealedDetails), archived, trashed);
        string path = ItemPath(vaultId, itemId) + action;
        return await _session.SendAsync(action.Length == 0 ? HttpMethod.Put : HttpMethod.Post, path, request, Json.ItemWriteRequest, Json.ItemDto,
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

    private Task<VaultDto> GetVaultAsync(string vaultId, CancellationToken cancellationToken) =>
        _session.SendAsync(HttpMethod.Get, "/api/v1/vaults/" + vaultId, Json.VaultDto, cancellationToken);

    /// <summary>
    /// The vault key to use: the one held (a client never goes back to an older serial, and with
    /// <paramref name="preferHeld"/> it writes under what it holds, leaving the server to refuse a stale one),
    /// else the successor accepted through its succession envelope, else the key from this member's own verified grant.
    /// </summary>
    private Task<VaultKey> KeyAsync(VaultDto vault, CancellationToken cancellationToken, bool preferHeld = false)
    {
        _ = cancellationToken;
        if (_keys.TryGetValue(vault.Id, out VaultKey? held) && (preferHeld || held.Serial >= vault.KeySerial))
        {
            return Task.FromResult(held);
        }
        VaultGrantDto grant = vault.Grants.FirstOrDefault(g => g.Wrap.RecipientKind == CertKinds.Member && g.Wrap.RecipientId == _account.MemberId
            && g.Wrap.KeySerial == vault.KeySerial) ?? throw new ProvenanceException("The vault comes with no grant of its current key to this member.");
        int serial = checked((int)vault.KeySerial);
        byte[] raw = UnwrapVerified(grant.Wrap, vault.Id, serial);
        try
        {
            VaultKey key;
            if (held is not null)
            {
                VaultSuccessionDto succession = vault.Successions.FirstOrDefault(s => s.Serial == serial && held.Serial == serial - 1)
                    ?? throw new ProvenanceException("The vault's new key comes without a succession from the key held.");
                key = held.AcceptSuccessor(serial, raw, WireMapper.ToEnvelope(succession.Succession, "vault.successions"))
                    ?? throw new ProvenanceException("The vault's new key does not follow from the key held.");
                held.Dispose();
            }
            else
            {
                key = VaultKey.FromUnwrapped(vault.Id, serial, raw);
            }
            _keys[vault.Id] = key;
            return Task.FromResult(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    private byte[] UnwrapVerified(SignedWrapDto dto, string vaultId, int serial)
    {
        WireWrap wire = WireMapper.ToWireWrap(dto, "vault.grant");
        Keyset keyset = _account.Keyset;
        Fingerprint encFpr = Fingerprint.FromSpki(keyset.EncryptionPublicKey);
        WrapTbs expected = new(WrapObjectKinds.Vault, vaultId, serial, _account.MemberId, encFpr, Sha256Hash.Of(wire.Wrap), _account.MemberId);
        SignedWrap received = wire.ToSignedWrap(encFpr);
        using EcdsaP256PublicKey signer = EcdsaP256.ImportPublicKey(keyset.SigningPublicKey);
        if (received.Record != expected || wire.SignerId != _account.MemberId || !received.Record.Verify(signer, received.Signature))
        {
            throw new ProvenanceException("The vault grant is not one this member signed for this vault and key.");
        }
        return KeyWrap.Unwrap(keyset.EncryptionKey, wire.Wrap) ?? throw new CofferProtocolException("could not decrypt");
    }

    private SignedWrapDto SelfGrant(VaultKey key)
    {
        Keyset keyset = _account.Keyset;
        byte[] wrap = key.WrapTo(keyset.EncryptionPublicKey);
        SignedWrap signed = Signing.SignWrap(keyset.SigningKey, _account.MemberId, WrapObjectKinds.Vault, key.VaultId, key.Serial, _account.MemberId,
            keyset.EncryptionPublicKey, wrap);
        return WireMapper.ToDto(signed, CertKinds.Member, keyset.Serial);
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
