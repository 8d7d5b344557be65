using System.Security.Cryptography;
using Coffer.Protocol.WebAuthn;

namespace Coffer.Protocol.Tests.WebAuthn;

// COSE_Key (RFC 9052 §7; EC2 RFC 9053 §7.1.1, RSA RFC 8230 §4) as WebAuthn L2 §6.5.1.1 restricts it.
public class CoseKeyTests
{
    [Fact]
    public void Parse_Es256Key_VerifiesItsSignatures()
    {
        using ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = ecdsa.ExportParameters(false);
        CoseKey key = CoseKey.Parse(Ec2(p.Q.X!, p.Q.Y!));
        byte[] data = [1, 2, 3];
        byte[] signature = ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        Assert.Equal(CoseAlgorithm.ES256, key.Algorithm);
        Assert.True(key.Verify(data, signature));
        Assert.False(key.Verify([1, 2, 4], signature));
        Assert.False(key.Verify(data, ecdsa.SignData(data, HashAlgorithmName.SHA256))); // P1363, not DER
        Assert.False(key.Verify(data, []));
    }

    [Fact]
    public void Parse_Rs256Key_VerifiesItsSignatures()
    {
        using RSA rsa = RSA.Create(2048);
        RSAParameters p = rsa.ExportParameters(false);
        CoseKey key = CoseKey.Parse(Rsa(p.Modulus!, p.Exponent!));
        byte[] data = [1, 2, 3];
        byte[] signature = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        Assert.Equal(CoseAlgorithm.RS256, key.Algorithm);
        Assert.True(key.Verify(data, signature));
        Assert.False(key.Verify(data, rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)));
        Assert.False(key.Verify(data, new byte[256]));
    }

    [Fact]
    public void Parse_FixtureKeys_KeepExactBytes()
    {
        foreach (string name in new[] { "es256-none", "rs256-none" })
        {
            byte[] encoded = WebAuthnFixtures.Bytes(WebAuthnFixtures.Get("registrations", name), "credentialPublicKey");
            Assert.Equal(encoded, CoseKey.Parse(encoded).ToArray());
        }
    }

    public static TheoryData<string, byte[]> Refused()
    {
        using ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = ecdsa.ExportParameters(false);
        byte[] x = p.Q.X!;
        byte[] y = p.Q.Y!;
        byte[] offCurveY = [.. y[..^1], (byte)(y[^1] ^ 1)];
        byte[] p256Prime = Convert.FromHexString("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
        using RSA rsa = RSA.Create(2048);
        RSAParameters r = rsa.ExportParameters(false);
        byte[] n = r.Modulus!;
        using RSA small = RSA.Create(1024);
        byte[] smallN = small.ExportParameters(false).Modulus!;
        return new TheoryData<string, byte[]>
        {
            { "EdDSA OKP key", CborBytes.Map(CborBytes.Int(1), CborBytes.Int(1), CborBytes.Int(3), CborBytes.Int(-8), CborBytes.Int(-1), CborBytes.Int(6), CborBytes.Int(-2), CborBytes.Bytes(new byte[32])) },
            { "EC2 with alg RS256", Ec2(x, y, alg: -257) },
            { "EC2 with alg ES384", Ec2(x, y, alg: -35) },
            { "EC2 on P-384 (crv 2)", Ec2(x, y, crv: 2) },
            { "x of 31 bytes", Ec2(x[1..], y) },
            { "y of 33 bytes", Ec2(x, [0, .. y]) },
            { "missing y", CborBytes.Map(CborBytes.Int(1), CborBytes.Int(2), CborBytes.Int(3), CborBytes.Int(-7), CborBytes.Int(-1), CborBytes.Int(1), CborBytes.Int(-2), CborBytes.Bytes(x)) },
            { "compressed point (y a boolean)", CborBytes.Map(CborBytes.Int(1), CborBytes.Int(2), CborBytes.Int(3), CborBytes.Int(-7), CborBytes.Int(-1), CborBytes.Int(1), CborBytes.Int(-2), CborBytes.Bytes(x), CborBytes.Int(-3), [0xf5]) },
            { "point not on the curve", Ec2(x, offCurveY) },
            { "x equal to p", Ec2(p256Prime, y) },
            { "all-zero point", Ec2(new byte[32], new byte[32]) },
            { "missing alg", CborBytes.Map(CborBytes.Int(1), CborBytes.Int(2), CborBytes.Int(-1), CborBytes.Int(1), CborBytes.Int(-2), CborBytes.Bytes(x), CborBytes.Int(-3), CborBytes.Bytes(y)) },
            { "extra kid parameter", CborBytes.Map(CborBytes.Int(1), CborBytes.Int(2), CborBytes.Int(2), CborBytes.Bytes([1]), CborBytes.Int(3), CborBytes.Int(-7), CborBytes.Int(-1), CborBytes.Int(1), CborBytes.Int(-2), CborBytes.Bytes(x), CborBytes.Int(-3), CborBytes.Bytes(y)) },
            { "kty as text", CborBytes.Map(CborBytes.Int(1), CborBytes.Text("EC2"), CborBytes.Int(3), CborBytes.Int(-7)) },
            { "RSA with alg ES256", Rsa(n, [1, 0, 1], alg: -7) },
            { "RSA with alg PS256", Rsa(n, [1, 0, 1], alg: -37) },
            { "RSA 1024-bit modulus", Rsa(smallN, [1, 0, 1]) },
            { "RSA modulus with a leading zero", Rsa([0, .. n], [1, 0, 1]) },
            { "RSA even exponent", Rsa(n, [1, 0, 0]) },
            { "RSA exponent 1", Rsa(n, [1]) },
            { "RSA exponent with a leading zero", Rsa(n, [0, 1, 0, 1]) },
            { "RSA missing exponent", CborBytes.Map(CborBytes.Int(1), CborBytes.Int(3), CborBytes.Int(3), CborBytes.Int(-257), CborBytes.Int(-1), CborBytes.Bytes(n)) },
            { "not a map", CborBytes.Array(CborBytes.Int(1)) },
        };
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Parse_UnacceptedKey_Refused(string why, byte[] encoded)
    {
        Assert.False(string.IsNullOrEmpty(why));
        Assert.Throws<WebAuthnFormatException>(() => CoseKey.Parse(encoded));
    }

    private static byte[] Ec2(byte[] x, byte[] y, long alg = -7, long crv = 1) => CborBytes.Map(
        CborBytes.Int(1), CborBytes.Int(2), CborBytes.Int(3), CborBytes.Int(alg), CborBytes.Int(-1), CborBytes.Int(crv),
        CborBytes.Int(-2), CborBytes.Bytes(x), CborBytes.Int(-3), CborBytes.Bytes(y));

    private static byte[] Rsa(byte[] n, byte[] e, long alg = -257) => CborBytes.Map(
        CborBytes.Int(1), CborBytes.Int(3), CborBytes.Int(3), CborBytes.Int(alg), CborBytes.Int(-1), CborBytes.Bytes(n),
        CborBytes.Int(-2), CborBytes.Bytes(e));

    // WebAuthn L2 §6.5.6: ES256 signatures are ASN.1 DER Ecdsa-Sig-Value; BER variants and trailing bytes are not DER.
    [Fact]
    public void Verify_Es256SignatureWithTrailingByte_False()
    {
        using ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = ecdsa.ExportParameters(false);
        CoseKey key = CoseKey.Parse(CborBytes.Map(
            CborBytes.Int(1), CborBytes.Int(2), CborBytes.Int(3), CborBytes.Int(-7), CborBytes.Int(-1), CborBytes.Int(1),
            CborBytes.Int(-2), CborBytes.Bytes(p.Q.X!), CborBytes.Int(-3), CborBytes.Bytes(p.Q.Y!)));
        byte[] data = [1, 2, 3];
        byte[] der = ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        Assert.True(key.Verify(data, der));
        Assert.False(key.Verify(data, [.. der, 0]));
        // The same sequence with a long-form length (0x81 nn): valid BER, not DER.
        Assert.False(key.Verify(data, [0x30, 0x81, der[1], .. der[2..]]));
    }
}
