using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Items;
using Coffer.Crypto.Keys;
using Coffer.Protocol.Envelopes;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Items;

/// <summary>
/// Opening what the server (or the cache) holds of an item, under the vault key, with every check that does not need the
/// details: the item key under its context, the overview under its own, the details envelope naming this item's version
/// (so two items' envelopes swapped, or an older version's, are refused without opening any secret), and the server's
/// plaintext archived/trashed mirror agreeing with the sealed overview (PROTOCOL.md §4.1).
/// </summary>
internal static class ItemOpening
{
    /// <exception cref="CofferProtocolException">Anything does not open or does not agree.</exception>
    public static ItemSummary Summary(VaultKey key, ItemDto item)
    {
        SealedItem sealedItem = Sealed(key, item);
        if (!string.Equals(sealedItem.SealedDetails.Kid, ItemCrypto.ItemKid(item.Id, item.Version), StringComparison.Ordinal))
        {
            throw Undecryptable(item.VaultId, item.Id);
        }
        byte[] json = ItemCrypto.OpenOverview(key, sealedItem) ?? throw Undecryptable(item.VaultId, item.Id);
        ItemOverview overview;
        try
        {
            overview = ItemOverview.Parse(json);
        }
        catch (ItemValidationException e)
        {
            throw new CofferProtocolException(Subject(item.VaultId, item.Id) + " has an overview that is not item JSON (" + e.Problems[0] + ").");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
        if (overview.Archived != item.Archived || overview.Trashed != item.Trashed)
        {
            // The sealed values are the truth; a server whose mirror disagrees may purge or hide the item on its word.
            throw new CofferProtocolException(Subject(item.VaultId, item.Id)
                + " is marked archived or trashed by the server differently from its sealed overview; the server's copy is refused.");
        }
        return new ItemSummary(item.Id, item.VaultId, item.Version, overview);
    }

    /// <exception cref="CofferProtocolException">The details do not open or are not item JSON.</exception>
    public static ItemDetails Details(VaultKey key, ItemDto item)
    {
        byte[] json = ItemCrypto.OpenDetails(key, Sealed(key, item)) ?? throw Undecryptable(item.VaultId, item.Id);
        try
        {
            return ItemDetails.Parse(json);
        }
        catch (ItemValidationException e)
        {
            throw new CofferProtocolException(Subject(item.VaultId, item.Id) + " has details that are not item JSON (" + e.Problems[0] + ").");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <summary>Opens a sealed tombstone (<c>{v:1, deletedAt}</c>) to check it is this item's deletion at this version.</summary>
    /// <exception cref="CofferProtocolException">It does not open.</exception>
    public static void Tombstone(VaultKey key, string vaultId, TombstoneDto tombstone)
    {
        if (tombstone.VaultKeySerial != key.Serial)
        {
            throw WrongSerial(vaultId, tombstone.Id);
        }
        Envelope sealedKey = WireMapper.ToEnvelope(tombstone.SealedItemKey, "tombstone.sealedItemKey");
        Envelope body = WireMapper.ToEnvelope(tombstone.SealedTombstone, "tombstone.sealedTombstone");
        using EnvelopeKey? itemKey = ItemCrypto.OpenItemKey(key, tombstone.Id, tombstone.Version, key.Serial, sealedKey);
        byte[] json = (itemKey is null ? null : ItemCrypto.OpenPart(itemKey, tombstone.Id, tombstone.Version, ItemPart.Tombstone, body))
            ?? throw Undecryptable(vaultId, tombstone.Id);
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("deletedAt", out _))
            {
                throw new CofferProtocolException(Subject(vaultId, tombstone.Id) + " has a tombstone that is not a deletion record.");
            }
        }
        catch (JsonException)
        {
            throw new CofferProtocolException(Subject(vaultId, tombstone.Id) + " has a tombstone that is not a deletion record.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    public static string Subject(string vaultId, string itemId) =>
        string.Create(CultureInfo.InvariantCulture, $"Item {itemId} in vault {vaultId}");

    private static SealedItem Sealed(VaultKey key, ItemDto item)
    {
        if (item.VaultKeySerial != key.Serial)
        {
            throw WrongSerial(item.VaultId, item.Id);
        }
        return new SealedItem(item.Id, item.Version, key.Serial, WireMapper.ToEnvelope(item.SealedItemKey, "item.sealedItemKey"),
            WireMapper.ToEnvelope(item.SealedOverview, "item.sealedOverview"), WireMapper.ToEnvelope(item.SealedDetails, "item.sealedDetails"));
    }

    private static CofferProtocolException Undecryptable(string vaultId, string itemId) =>
        new(Subject(vaultId, itemId) + " could not be decrypted under its context (moved, replayed or altered); the server's copy is refused.");

    private static CofferProtocolException WrongSerial(string vaultId, string itemId) =>
        new(Subject(vaultId, itemId) + " is sealed under another vault key than the vault's current one; the server's copy is refused.");
}
