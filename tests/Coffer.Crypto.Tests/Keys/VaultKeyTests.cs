using Coffer.Crypto.Keys;
using Coffer.Protocol.Envelopes;

namespace Coffer.Crypto.Tests.Keys;

public class VaultKeyTests
{
    private const string VaultId = "0190a1b2-c3d4-7e5f-8a6b-0000000000aa";

    private static byte[] Raw(VaultKey k)
    {
        byte[] raw = new byte[32];
        k.Key.CopyKeyTo(raw);
        return raw;
    }

    [Fact]
    public void Rotate_SuccessorAcceptedWithItsSuccession()
    {
        using VaultKey k1 = VaultKey.Generate(VaultId);
        (VaultKey k2, Envelope succession) = k1.Rotate();
        using (k2)
        {
            Assert.Equal(2, k2.Serial);
            using VaultKey? accepted = k1.AcceptSuccessor(2, Raw(k2), succession);
            Assert.NotNull(accepted);
            Assert.True(accepted.SameKeyAs(k2));
        }
    }

    [Fact]
    public void AcceptSuccessor_KeyWithoutValidSuccession_IsRefused()
    {
        using VaultKey k1 = VaultKey.Generate(VaultId);
        (VaultKey k2, Envelope succession) = k1.Rotate();
        using VaultKey serverKey = VaultKey.Generate(VaultId);
        using (k2)
        {
            // A key the server chose, presented with the genuine succession envelope.
            Assert.Null(k1.AcceptSuccessor(2, Raw(serverKey), succession));
            // The right key under the wrong serial (skipping, or replaying as a later one).
            Assert.Null(k1.AcceptSuccessor(3, Raw(k2), succession));
            Assert.Null(k1.AcceptSuccessor(1, Raw(k2), succession));
            // A succession sealed by another key (the server's own).
            (VaultKey s2, Envelope forged) = serverKey.Rotate();
            using (s2)
            {
                Assert.Null(k1.AcceptSuccessor(2, Raw(s2), forged));
            }
            // A succession for another vault.
            using VaultKey otherVault = VaultKey.FromUnwrapped("0190a1b2-c3d4-7e5f-8a6b-0000000000bb", 1, Raw(k1));
            (VaultKey o2, Envelope otherSuccession) = otherVault.Rotate();
            using (o2)
            {
                Assert.Null(k1.AcceptSuccessor(2, Raw(o2), otherSuccession));
            }
        }
    }

    [Fact]
    public void Attributes_BoundToVaultSerialAndVersion()
    {
        using VaultKey k1 = VaultKey.Generate(VaultId);
        Envelope attrs = k1.SealAttributes(3, "{\"name\":\"Ops\"}"u8);
        Assert.Equal("{\"name\":\"Ops\"}"u8.ToArray(), k1.OpenAttributes(3, attrs));
        Assert.Null(k1.OpenAttributes(2, attrs));
        (VaultKey k2, _) = k1.Rotate();
        using (k2)
        {
            Assert.Null(k2.OpenAttributes(3, attrs));
        }
    }

    [Fact]
    public void WrapTo_RecipientUnwrapsTheSameKey()
    {
        using Keyset member = Keyset.Generate("0190a1b2-c3d4-7e5f-8a6b-000000000001");
        using VaultKey k1 = VaultKey.Generate(VaultId);
        byte[] wrapped = k1.WrapTo(member.EncryptionPublicKey);
        byte[]? raw = KeyWrap.Unwrap(member.EncryptionKey, wrapped);
        Assert.NotNull(raw);
        using VaultKey unwrapped = VaultKey.FromUnwrapped(VaultId, 1, raw);
        Assert.True(unwrapped.SameKeyAs(k1));
    }
}
