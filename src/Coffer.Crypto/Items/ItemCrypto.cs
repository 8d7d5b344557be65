using System.Globalization;
using System.Security.Cryptography;
using Coffer.Crypto.Keys;
using Coffer.Protocol.Envelopes;

namespace Coffer.Crypto.Items;

/// <summary>
/// Sealing items (PROTOCOL.md §4, §5): every write of an item gets a new random
/// 32-byte item key (AES-256-GCM, kid <c>item:&lt;itemId&gt;:v&lt;version&gt;</c>), sealed by
/// the current vault key under
/// <c>coffer/vault/&lt;vaultId&gt;/k&lt;serial&gt;/item/&lt;itemId&gt;/v&lt;version&gt;/key</c>; the item
/// key seals the overview, the details (or a tombstone) under
/// <c>coffer/item/&lt;itemId&gt;/v&lt;version&gt;/…</c>. Moving, replaying or relabelling any
/// of them breaks them.
/// </summary>
public static class ItemCrypto
{
    /// <summary>Default cap on overview plus details plaintext (POLICY.md "Data handling").</summary>
    public const int DefaultMaximumPlaintextBytes = 64 * 1024;

    /// <summary>The kid of an item key.</summary>
    public static string ItemKid(string itemId, long version) =>
        string.Create(CultureInfo.InvariantCulture, $"item:{itemId}:v{version}");

    /// <summary>Context of an item key under a vault key.</summary>
    public static string ItemKeyContext(string vaultId, int vaultKeySerial, string itemId, long version) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/vault/{vaultId}/k{vaultKeySerial}/item/{itemId}/v{version}/key");

    /// <summary>Context of an item part: <c>overview</c>, <c>details</c> or <c>tombstone</c>.</summary>
    public static string PartContext(string itemId, long version, ItemPart part) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/item/{itemId}/v{version}/{PartName(part)}");

    /// <summary>Seals a new version of an item under a fresh item key.</summary>
    /// <exception cref="ArgumentException">The plaintext is larger than <paramref name="maximumPlaintextBytes"/>.</exception>
    public static SealedItem Seal(VaultKey vaultKey, string itemId, long version, ReadOnlySpan<byte> overviewJson,
        ReadOnlySpan<byte> detailsJson, int maximumPlaintextBytes = DefaultMaximumPlaintextBytes)
    {
        ArgumentNullException.ThrowIfNull(vaultKey);
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        if ((long)overviewJson.Length + detailsJson.Length > maximumPlaintextBytes)
        {
            throw new ArgumentException("The item is larger than the organisation allows.", nameof(detailsJson));
        }
        using EnvelopeKey itemKey = EnvelopeKey.Generate(ItemKid(itemId, version));
        return new SealedItem(itemId, version, vaultKey.Serial,
            SealItemKey(vaultKey, itemKey, itemId, version),
            itemKey.Seal(PartContext(itemId, version, ItemPart.Overview), overviewJson),
            itemKey.Seal(PartContext(itemId, version, ItemPart.Details), detailsJson));
    }

    /// <summary>Seals a tombstone (the sealed record of a deletion) as a new version under a fresh item key.</summary>
    public static SealedTombstone SealTombstone(VaultKey vaultKey, string itemId, long version, ReadOnlySpan<byte> tombstoneJson)
    {
        ArgumentNullException.ThrowIfNull(vaultKey);
        using EnvelopeKey itemKey = EnvelopeKey.Generate(ItemKid(itemId, version));
        return new SealedTombstone(itemId, version, vaultKey.Serial,
            SealItemKey(vaultKey, itemKey, itemId, version),
            itemKey.Seal(PartContext(itemId, version, ItemPart.Tombstone), tombstoneJson));
    }

    /// <summary>
    /// Opens an item's key with the vault key it names; null if the serial is not this
    /// key's or anything fails. The caller disposes the key.
    /// </summary>
    public static EnvelopeKey? OpenItemKey(VaultKey vaultKey, string itemId, long version, int vaultKeySerial, Envelope sealedItemKey)
    {
        ArgumentNullException.ThrowIfNull(vaultKey);
        ArgumentNullException.ThrowIfNull(sealedItemKey);
        if (vaultKeySerial != vaultKey.Serial)
        {
            return null;
        }
        byte[]? raw = vaultKey.Key.Open(ItemKeyContext(vaultKey.VaultId, vaultKeySerial, itemId, version), sealedItemKey);
        if (raw is null)
        {
            return null;
        }
        try
        {
            return raw.Length == EnvelopeKey.KeyLength ? new EnvelopeKey(ItemKid(itemId, version), raw) : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    /// <summary>Opens one part of an item with its item key; null on any failure.</summary>
    public static byte[]? OpenPart(EnvelopeKey itemKey, string itemId, long version, ItemPart part, Envelope sealedPart)
    {
        ArgumentNullException.ThrowIfNull(itemKey);
        return itemKey.Open(PartContext(itemId, version, part), sealedPart);
    }

    /// <summary>Opens an item's overview (lists and search never open the details).</summary>
    public static byte[]? OpenOverview(VaultKey vaultKey, SealedItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        using EnvelopeKey? key = OpenItemKey(vaultKey, item.ItemId, item.Version, item.VaultKeySerial, item.SealedItemKey);
        return key is null ? null : OpenPart(key, item.ItemId, item.Version, ItemPart.Overview, item.SealedOverview);
    }

    /// <summary>Opens an item's details.</summary>
    public static byte[]? OpenDetails(VaultKey vaultKey, SealedItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        using EnvelopeKey? key = OpenItemKey(vaultKey, item.ItemId, item.Version, item.VaultKeySerial, item.SealedItemKey);
        return key is null ? null : OpenPart(key, item.ItemId, item.Version, ItemPart.Details, item.SealedDetails);
    }

    /// <summary>
    /// For a vault-key rotation: re-seals an item's current key under the successor vault
    /// key (the content stays as it is). Null if the item key does not open under the old key.
    /// </summary>
    public static Envelope? ResealItemKey(VaultKey oldKey, VaultKey newKey, string itemId, long version, Envelope sealedItemKey)
    {
        ArgumentNullException.ThrowIfNull(oldKey);
        ArgumentNullException.ThrowIfNull(newKey);
        if (newKey.Serial != oldKey.Serial + 1 || !string.Equals(newKey.VaultId, oldKey.VaultId, StringComparison.Ordinal))
        {
            throw new ArgumentException("The new key is not the successor of the old one.", nameof(newKey));
        }
        using EnvelopeKey? itemKey = OpenItemKey(oldKey, itemId, version, oldKey.Serial, sealedItemKey);
        return itemKey is null ? null : SealItemKey(newKey, itemKey, itemId, version);
    }

    private static Envelope SealItemKey(VaultKey vaultKey, EnvelopeKey itemKey, string itemId, long version)
    {
        Span<byte> raw = stackalloc byte[EnvelopeKey.KeyLength];
        try
        {
            itemKey.CopyKeyTo(raw);
            return vaultKey.Key.Seal(ItemKeyContext(vaultKey.VaultId, vaultKey.Serial, itemId, version), raw);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    private static string PartName(ItemPart part) => part switch
    {
        ItemPart.Overview => "overview",
        ItemPart.Details => "details",
        ItemPart.Tombstone => "tombstone",
        _ => throw new ArgumentOutOfRangeException(nameof(part)),
    };
}

/// <summary>The sealed parts of an item.</summary>
public enum ItemPart
{
    /// <summary>Title, URLs, tags: what lists and search open.</summary>
    Overview,

    /// <summary>Fields, notes, OTP, password history.</summary>
    Details,

    /// <summary>The record of a deletion, carried by sync.</summary>
    Tombstone,
}

/// <summary>One version of an item as the server stores it.</summary>
/// <param name="ItemId">Item id.</param>
/// <param name="Version">Item version this was sealed for.</param>
/// <param name="VaultKeySerial">Serial of the vault key that sealed the item key.</param>
/// <param name="SealedItemKey">The item key under the vault key.</param>
/// <param name="SealedOverview">The overview under the item key.</param>
/// <param name="SealedDetails">The details under the item key.</param>
public sealed record SealedItem(string ItemId, long Version, int VaultKeySerial, Envelope SealedItemKey, Envelope SealedOverview, Envelope SealedDetails);

/// <summary>A sealed tombstone.</summary>
/// <param name="ItemId">Item id.</param>
/// <param name="Version">The version the deletion created.</param>
/// <param name="VaultKeySerial">Serial of the vault key that sealed the item key.</param>
/// <param name="SealedItemKey">The item key under the vault key.</param>
/// <param name="SealedTombstoneBody">The tombstone under the item key.</param>
public sealed record SealedTombstone(string ItemId, long Version, int VaultKeySerial, Envelope SealedItemKey, Envelope SealedTombstoneBody);
