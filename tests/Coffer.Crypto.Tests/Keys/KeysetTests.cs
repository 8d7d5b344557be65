using Coffer.Crypto.Keys;
using Coffer.Protocol.Envelopes;

namespace Coffer.Crypto.Tests.Keys;

public class KeysetTests
{
    private const string KeysetId = "0190a1b2-c3d4-7e5f-8a6b-000000000001";

    [Fact]
    public void SealWithAuk_OpenWithAuk_RoundTripsAllKeys()
    {
        using EnvelopeKey auk = EnvelopeKey.Generate("auk");
        using Keyset keyset = Keyset.Generate(KeysetId);
        SealedKeyset sealedKeyset = keyset.SealWithAuk(auk);

        using Keyset? opened = Keyset.OpenWithAuk(sealedKeyset, auk);
        Assert.NotNull(opened);
        Assert.Equal(keyset.EncryptionPublicKey, opened.EncryptionPublicKey);
        Assert.Equal(keyset.SigningPublicKey, opened.SigningPublicKey);
        byte[] sig = opened.SigningKey.Sign("m"u8);
        Assert.True(keyset.SigningKey.PublicKey.Verify("m"u8, sig));
        Envelope e = keyset.SymmetricKey.Seal("c", "pins"u8);
        Assert.Equal("pins"u8.ToArray(), opened.SymmetricKey.Open("c", e));
        Assert.Equal("auk", sealedKeyset.SealedSymmetricKey.Kid);
        Assert.Equal($"keyset:{KeysetId}:s1", sealedKeyset.PrivateParts.SealedSigningKey.Kid);
    }

    [Fact]
    public void SealSymmetricKeyWithAuk_NewAuk_OpensTheSamePrivateKeysAndNotWithTheOldAuk()
    {
        // PROTOCOL.md §2: a password or Secret Key change re-seals only the keyset key; the private keys keep their envelopes.
        using EnvelopeKey oldAuk = EnvelopeKey.Generate("auk");
        using EnvelopeKey newAuk = EnvelopeKey.Generate("auk");
        using Keyset keyset = Keyset.Generate(KeysetId);
        SealedKeyset before = keyset.SealWithAuk(oldAuk);
        SealedKeyset after = before with { SealedSymmetricKey = keyset.SealSymmetricKeyWithAuk(newAuk) };

        Assert.Equal("auk", after.SealedSymmetricKey.Kid);
        using Keyset? opened = Keyset.OpenWithAuk(after, newAuk);
        Assert.NotNull(opened);
        Assert.Equal(keyset.SigningPublicKey, opened.SigningPublicKey);
        Assert.Null(Keyset.OpenWithAuk(after, oldAuk));
        // Bound to the keyset's id and serial like the first seal.
        Assert.Null(Keyset.OpenWithAuk(after with { Serial = 2 }, newAuk));
    }

    [Fact]
    public void OpenWithAuk_WrongAuk_Fails()
    {
        using EnvelopeKey auk = EnvelopeKey.Generate("auk");
        using EnvelopeKey other = EnvelopeKey.Generate("auk");
        using Keyset keyset = Keyset.Generate(KeysetId);
        Assert.Null(Keyset.OpenWithAuk(keyset.SealWithAuk(auk), other));
    }

    [Fact]
    public void OpenWithAuk_PublicKeysSubstitutedByServer_Fails()
    {
        using EnvelopeKey auk = EnvelopeKey.Generate("auk");
        using Keyset keyset = Keyset.Generate(KeysetId);
        using Keyset attacker = Keyset.Generate(KeysetId);
        SealedKeyset s = keyset.SealWithAuk(auk);
        Assert.Null(Keyset.OpenWithAuk(s with { EncryptionPublicKey = attacker.EncryptionPublicKey }, auk));
        Assert.Null(Keyset.OpenWithAuk(s with { SigningPublicKey = attacker.SigningPublicKey }, auk));
    }

    [Fact]
    public void OpenWithAuk_PrivatePartsSwappedOrMoved_Fails()
    {
        using EnvelopeKey auk = EnvelopeKey.Generate("auk");
        using Keyset keyset = Keyset.Generate(KeysetId);
        SealedKeyset s = keyset.SealWithAuk(auk);
        SealedKeyPrivateParts swapped = new(s.PrivateParts.SealedSigningKey, s.PrivateParts.SealedEncryptionKey);
        Assert.Null(Keyset.OpenWithAuk(s with { PrivateParts = swapped }, auk));
        // The same sealed keyset presented under another serial or id does not open.
        Assert.Null(Keyset.OpenWithAuk(s with { Serial = 2 }, auk));
        Assert.Null(Keyset.OpenWithAuk(s with { KeysetId = "0190a1b2-c3d4-7e5f-8a6b-000000000002" }, auk));
    }

    [Fact]
    public void GroupKeyset_WrappedToMember_OpensWithMembersPrivateKey()
    {
        using Keyset member = Keyset.Generate(KeysetId);
        using Keyset group = Keyset.Generate("0190a1b2-c3d4-7e5f-8a6b-00000000000a");
        byte[] wrapped = group.WrapSymmetricKeyTo(member.EncryptionPublicKey);
        SealedKeyPrivateParts parts = group.SealPrivateParts();

        byte[]? sym = KeyWrap.Unwrap(member.EncryptionKey, wrapped);
        Assert.NotNull(sym);
        using Keyset? opened = Keyset.OpenWithSymmetricKey(group.KeysetId, group.Serial, sym, parts, group.EncryptionPublicKey, group.SigningPublicKey);
        Assert.NotNull(opened);
        Assert.Null(Keyset.OpenWithSymmetricKey(group.KeysetId, group.Serial, sym, parts, member.EncryptionPublicKey, group.SigningPublicKey));
    }

    [Fact]
    public void Dispose_BlocksUse()
    {
        Keyset k = Keyset.Generate(KeysetId);
        k.Dispose();
        Assert.Throws<ObjectDisposedException>(() => k.SigningKey);
        Assert.Throws<ObjectDisposedException>(() => k.SealPrivateParts());
    }
}
