using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;

namespace Coffer.Protocol.Tests.Signatures;

public class EcdsaP256Tests
{
    private static readonly byte[] Message = System.Text.Encoding.ASCII.GetBytes("coffer/sig/test/v1 message");

    [Fact]
    public void Sign_NewKey_VerifiesAndIsSixtyFourBytes()
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        byte[] signature = key.Sign(Message);

        Assert.Equal(EcdsaP256.SignatureSize, signature.Length);
        Assert.True(key.PublicKey.Verify(Message, signature));
        Assert.Equal(EcdsaP256.SpkiSize, key.PublicKey.Spki.Length);
    }

    [Fact]
    public void Verify_AnyFlippedSignatureBit_Fails()
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        byte[] signature = key.Sign(Message);
        for (int bit = 0; bit < signature.Length * 8; bit++)
        {
            byte[] altered = (byte[])signature.Clone();
            altered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(key.PublicKey.Verify(Message, altered), $"bit {bit}");
        }
    }

    [Fact]
    public void Verify_AnyFlippedTbsBit_Fails()
    {
        // PROTOCOL.md §5.2: the member-cert vector's TBS; every bit of it is covered by the signature.
        using JsonDocument doc = TestData.Json("vectors", "signatures.json");
        JsonElement vector = SignatureVectorTests.Find(doc, "member-cert");
        byte[] tbs = Convert.FromHexString(vector.GetProperty("tbs").GetString()!);
        byte[] signature = Base64Url.Decode(vector.GetProperty("signature").GetString()!);
        using EcdsaP256PublicKey key = EcdsaP256.ImportPublicKey(Base64Url.Decode(vector.GetProperty("spki").GetString()!));
        Assert.True(key.Verify(tbs, signature));

        for (int bit = 0; bit < tbs.Length * 8; bit++)
        {
            byte[] altered = (byte[])tbs.Clone();
            altered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(key.Verify(altered, signature), $"bit {bit}");
        }
        Assert.False(key.Verify(tbs.AsSpan(0, tbs.Length - 1), signature));
        Assert.False(key.Verify([.. tbs, 0], signature));
    }

    [Fact]
    public void Verify_SignatureFromAnotherKey_Fails()
    {
        using EcdsaP256PrivateKey signer = EcdsaP256.GenerateKey();
        using EcdsaP256PrivateKey other = EcdsaP256.GenerateKey();

        Assert.False(other.PublicKey.Verify(Message, signer.Sign(Message)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(72)]
    public void Verify_WrongSignatureLength_ReturnsFalse(int length)
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        byte[] signature = key.Sign(Message);
        byte[] resized = new byte[length];
        signature.AsSpan(0, Math.Min(length, signature.Length)).CopyTo(resized);

        Assert.False(key.PublicKey.Verify(Message, resized));
    }

    [Fact]
    public void Verify_DerSignature_ReturnsFalse()
    {
        // Only IEEE P1363 r || s is accepted, never the DER form of the same signature.
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        using ECDsa ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(key.ExportPkcs8(), out _);
        byte[] der = ecdsa.SignData(Message, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        Assert.False(key.PublicKey.Verify(Message, der));
    }

    [Fact]
    public void Verify_ZeroOrOutOfRangeScalars_ReturnsFalse()
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        byte[] zeros = new byte[64];
        byte[] ones = Enumerable.Repeat((byte)0xFF, 64).ToArray();

        Assert.False(key.PublicKey.Verify(Message, zeros));
        Assert.False(key.PublicKey.Verify(Message, ones));
    }

    [Fact]
    public void ExportPkcs8_ImportPkcs8_SignsForTheSamePublicKey()
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        byte[] pkcs8 = key.ExportPkcs8();
        try
        {
            using EcdsaP256PrivateKey imported = EcdsaP256.ImportPrivateKey(pkcs8);
            Assert.True(imported.PublicKey.Spki.SequenceEqual(key.PublicKey.Spki));
            Assert.True(key.PublicKey.Verify(Message, imported.Sign(Message)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    [Fact]
    public void ImportPrivateKey_OtherCurve_Throws()
    {
        using ECDsa p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => EcdsaP256.ImportPrivateKey(p384.ExportPkcs8PrivateKey()));
    }

    [Fact]
    public void ImportPrivateKey_TrailingByteOrGarbage_Throws()
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        byte[] pkcs8 = key.ExportPkcs8();
        Assert.Throws<ArgumentException>(() => EcdsaP256.ImportPrivateKey([.. pkcs8, 0]));
        Assert.Throws<ArgumentException>(() => EcdsaP256.ImportPrivateKey(new byte[10]));
        Assert.Throws<ArgumentException>(() => EcdsaP256.ImportPrivateKey(key.PublicKey.Spki));
    }

    [Fact]
    public void ImportPublicKey_ExportedSpki_RoundTrips()
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        using EcdsaP256PublicKey imported = EcdsaP256.ImportPublicKey(key.PublicKey.ExportSpki());

        Assert.Equal(key.PublicKey.Fingerprint, imported.Fingerprint);
        Assert.Equal(Fingerprint.FromSpki(key.PublicKey.Spki), imported.Fingerprint);
        Assert.True(imported.Verify(Message, key.Sign(Message)));
    }

    public static TheoryData<string> RejectedEcSpkis()
    {
        using JsonDocument doc = TestData.Json("vectors", "fingerprints.json");
        return [.. doc.RootElement.GetProperty("reject").EnumerateArray().Select(v => v.GetProperty("spki").GetString()!)];
    }

    // PROTOCOL.md §5: non-canonical SPKIs are rejected (testdata/vectors/fingerprints.json "reject").
    [Theory]
    [MemberData(nameof(RejectedEcSpkis))]
    public void TryImportPublicKey_NonCanonicalSpki_ReturnsFalse(string spki)
    {
        byte[] bytes = Base64Url.Decode(spki);
        Assert.False(EcdsaP256.TryImportPublicKey(bytes, out EcdsaP256PublicKey? key));
        Assert.Null(key);
        Assert.Throws<ArgumentException>(() => EcdsaP256.ImportPublicKey(bytes));
        Assert.False(EcdsaP256.Verify(bytes, Message, new byte[64]));
    }

    [Fact]
    public void TryImportPublicKey_RsaSpki_ReturnsFalse()
    {
        using RSA rsa = RSA.Create(2048);
        Assert.False(EcdsaP256.TryImportPublicKey(rsa.ExportSubjectPublicKeyInfo(), out _));
    }

    [Fact]
    public void TryImportPublicKey_ExplicitCurveParameters_ReturnsFalse()
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        using ECDsa ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(key.PublicKey.Spki, out _);
        ECParameters explicitParameters = ecdsa.ExportExplicitParameters(false);
        using ECDsa explicitKey = ECDsa.Create(explicitParameters);

        Assert.False(EcdsaP256.TryImportPublicKey(explicitKey.ExportSubjectPublicKeyInfo(), out _));
    }

    [Fact]
    public void Verify_OneShotWithVectorKey_MatchesImportedKey()
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        byte[] signature = key.Sign(Message);

        Assert.True(EcdsaP256.Verify(key.PublicKey.Spki, Message, signature));
        Assert.False(EcdsaP256.Verify(key.PublicKey.Spki, Message.AsSpan(1), signature));
    }

    [Fact]
    public void Dispose_PrivateKey_SignAndExportThrow()
    {
        EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        EcdsaP256PublicKey publicKey = key.PublicKey;
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.Sign(Message));
        Assert.Throws<ObjectDisposedException>(() => key.ExportPkcs8());
        Assert.Throws<ObjectDisposedException>(() => key.PublicKey);
        Assert.Throws<ObjectDisposedException>(() => publicKey.Verify(Message, new byte[64]));
        key.Dispose();
    }
}
