using Coffer.Crypto.Items;
using Coffer.Crypto.Keys;
using Coffer.Protocol.Envelopes;

namespace Coffer.Crypto.Tests.Items;

public class ItemCryptoTests
{
    private const string VaultId = "0190a1b2-c3d4-7e5f-8a6b-0000000000aa";
    private const string ItemA = "0190a1b2-c3d4-7e5f-8a6b-0000000000a1";
    private const string ItemB = "0190a1b2-c3d4-7e5f-8a6b-0000000000b1";
    private static readonly byte[] Overview = "{\"v\":1,\"title\":\"Supplier portal\"}"u8.ToArray();
    private static readonly byte[] Details = "{\"v\":1,\"fields\":[{\"value\":\"hunter2\"}]}"u8.ToArray();

    [Fact]
    public void Seal_Open_RoundTripsOverviewAndDetailsSeparately()
    {
        using VaultKey vk = VaultKey.Generate(VaultId);
        SealedItem item = ItemCrypto.Seal(vk, ItemA, 1, Overview, Details);
        Assert.Equal(Overview, ItemCrypto.OpenOverview(vk, item));
        Assert.Equal(Details, ItemCrypto.OpenDetails(vk, item));
        Assert.Equal($"item:{ItemA}:v1", item.SealedOverview.Kid);
        Assert.Equal(VaultKey.KidFor(VaultId, 1), item.SealedItemKey.Kid);
    }

    [Fact]
    public void Seal_EveryWrite_UsesAFreshItemKey()
    {
        using VaultKey vk = VaultKey.Generate(VaultId);
        SealedItem v1 = ItemCrypto.Seal(vk, ItemA, 1, Overview, Details);
        SealedItem v1Again = ItemCrypto.Seal(vk, ItemA, 1, Overview, Details);
        using EnvelopeKey? k1 = ItemCrypto.OpenItemKey(vk, ItemA, 1, 1, v1.SealedItemKey);
        Assert.NotNull(k1);
        // The key of one write opens nothing of another write, even of the same version.
        Assert.Null(ItemCrypto.OpenPart(k1, ItemA, 1, ItemPart.Overview, v1Again.SealedOverview));
    }

    [Fact]
    public void Open_SwappedOrReplayedOrMovedEnvelopes_Fail()
    {
        using VaultKey vk = VaultKey.Generate(VaultId);
        SealedItem a = ItemCrypto.Seal(vk, ItemA, 2, Overview, Details);
        SealedItem b = ItemCrypto.Seal(vk, ItemB, 2, Overview, Details);
        SealedItem aOld = ItemCrypto.Seal(vk, ItemA, 1, Overview, Details);

        // Swap two items' envelopes (with or without relabelling ids).
        Assert.Null(ItemCrypto.OpenOverview(vk, b with { ItemId = ItemA }));
        Assert.Null(ItemCrypto.OpenOverview(vk, a with { SealedItemKey = b.SealedItemKey }));
        Assert.Null(ItemCrypto.OpenOverview(vk, a with { SealedOverview = b.SealedOverview }));
        // Overview and details swapped.
        Assert.Null(ItemCrypto.OpenOverview(vk, a with { SealedOverview = a.SealedDetails }));
        // An older version replayed as the current one.
        Assert.Null(ItemCrypto.OpenOverview(vk, aOld with { Version = 2 }));
        // Moved to another vault.
        using VaultKey other = VaultKey.FromUnwrapped("0190a1b2-c3d4-7e5f-8a6b-0000000000bb", 1, Raw(vk));
        Assert.Null(ItemCrypto.OpenOverview(other, a));
    }

    [Fact]
    public void Rotation_ResealedItemKeysOpenUnderNewKey_AndNewWritesAreUnreadableWithTheOldKeys()
    {
        using VaultKey k1 = VaultKey.Generate(VaultId);
        SealedItem current = ItemCrypto.Seal(k1, ItemA, 4, Overview, Details);
        (VaultKey k2, _) = k1.Rotate();
        using (k2)
        {
            Envelope? resealed = ItemCrypto.ResealItemKey(k1, k2, ItemA, 4, current.SealedItemKey);
            Assert.NotNull(resealed);
            SealedItem afterRotation = current with { VaultKeySerial = 2, SealedItemKey = resealed };
            Assert.Equal(Details, ItemCrypto.OpenDetails(k2, afterRotation));
            Assert.Null(ItemCrypto.OpenDetails(k1, afterRotation));

            // An edit after the removal: someone who kept k1 and every old item key reads nothing.
            using EnvelopeKey? oldItemKey = ItemCrypto.OpenItemKey(k1, ItemA, 4, 1, current.SealedItemKey);
            SealedItem edited = ItemCrypto.Seal(k2, ItemA, 5, Overview, "{\"v\":1,\"fields\":[{\"value\":\"rotated\"}]}"u8);
            Assert.Null(ItemCrypto.OpenDetails(k1, edited));
            Assert.Null(ItemCrypto.OpenPart(oldItemKey!, ItemA, 5, ItemPart.Details, edited.SealedDetails));
            Assert.Null(ItemCrypto.OpenPart(oldItemKey!, ItemA, 4, ItemPart.Details, edited.SealedDetails));
        }
    }

    [Fact]
    public void Tombstone_RoundTrips_AndIsNotAnOverview()
    {
        using VaultKey vk = VaultKey.Generate(VaultId);
        SealedTombstone t = ItemCrypto.SealTombstone(vk, ItemA, 7, "{\"deleted\":true}"u8);
        using EnvelopeKey? key = ItemCrypto.OpenItemKey(vk, ItemA, 7, t.VaultKeySerial, t.SealedItemKey);
        Assert.Equal("{\"deleted\":true}"u8.ToArray(), ItemCrypto.OpenPart(key!, ItemA, 7, ItemPart.Tombstone, t.SealedTombstoneBody));
        Assert.Null(ItemCrypto.OpenPart(key!, ItemA, 7, ItemPart.Overview, t.SealedTombstoneBody));
    }

    [Fact]
    public void Seal_OverTheSizeCap_Throws()
    {
        using VaultKey vk = VaultKey.Generate(VaultId);
        Assert.Throws<ArgumentException>(() => ItemCrypto.Seal(vk, ItemA, 1, new byte[1024], new byte[64 * 1024]));
        Assert.NotNull(ItemCrypto.Seal(vk, ItemA, 1, new byte[1024], new byte[63 * 1024]));
    }

    private static byte[] Raw(VaultKey k)
    {
        byte[] raw = new byte[32];
        k.Key.CopyKeyTo(raw);
        return raw;
    }
}
