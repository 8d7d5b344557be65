using System.Security.Cryptography;
using Coffer.Crypto.Keys;

namespace Coffer.Crypto.Tests.Keys;

public class KeyWrapTests
{
    [Fact]
    public void WrapUnwrap_RoundTrip_IsRsaOaepSha256()
    {
        using RSA rsa = RSA.Create(2048);
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] wrapped = KeyWrap.Wrap(rsa.ExportSubjectPublicKeyInfo(), key);
        Assert.Equal(256, wrapped.Length);
        Assert.Equal(key, KeyWrap.Unwrap(rsa, wrapped));
        // Independently: the platform's OAEP-SHA256 decrypts it (MGF1-SHA256, empty label).
        Assert.Equal(key, rsa.Decrypt(wrapped, RSAEncryptionPadding.OaepSHA256));
    }

    [Fact]
    public void Unwrap_AnyFlippedBitOrOtherKey_Fails()
    {
        using RSA rsa = RSA.Create(2048);
        using RSA other = RSA.Create(2048);
        byte[] wrapped = KeyWrap.Wrap(rsa.ExportSubjectPublicKeyInfo(), new byte[32]);
        Assert.Null(KeyWrap.Unwrap(other, wrapped));
        for (int i = 0; i < wrapped.Length; i += 17)
        {
            byte[] changed = (byte[])wrapped.Clone();
            changed[i] ^= 0x01;
            Assert.Null(KeyWrap.Unwrap(rsa, changed));
        }
        Assert.Null(KeyWrap.Unwrap(rsa, wrapped.AsSpan(1)));
    }

    [Fact]
    public void Wrap_WeakOrOddRecipientKeys_AreRefused()
    {
        using RSA small = RSA.Create(1024);
        using RSA big = RSA.Create(3072);
        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<ArgumentException>(() => KeyWrap.Wrap(small.ExportSubjectPublicKeyInfo(), new byte[32]));
        Assert.Throws<ArgumentException>(() => KeyWrap.Wrap(big.ExportSubjectPublicKeyInfo(), new byte[32]));
        Assert.Throws<ArgumentException>(() => KeyWrap.Wrap(ec.ExportSubjectPublicKeyInfo(), new byte[32]));
        Assert.Throws<ArgumentException>(() => KeyWrap.Wrap([0x30, 0x00], new byte[32]));
        using RSA ok = RSA.Create(2048);
        byte[] spki = ok.ExportSubjectPublicKeyInfo();
        Assert.Throws<ArgumentException>(() => KeyWrap.Wrap([.. spki, 0x00], new byte[32]));
        Assert.Throws<ArgumentException>(() => KeyWrap.Wrap(spki, new byte[31]));
    }

    [Fact]
    public void RsaPublicKey_ExponentOtherThan65537_IsRefused()
    {
        // Build an RSA-2048 key with e = 3 by importing parameters (only the public half matters).
        using RSA rsa = RSA.Create(2048);
        RSAParameters p = rsa.ExportParameters(false);
        p.Exponent = [0x03];
        using RSA e3 = RSA.Create();
        e3.ImportParameters(p);
        Assert.False(RsaPublicKey.IsValid(e3.ExportSubjectPublicKeyInfo()));
        Assert.True(RsaPublicKey.IsValid(rsa.ExportSubjectPublicKeyInfo()));
    }
}
