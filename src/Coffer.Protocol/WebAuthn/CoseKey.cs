using System.Numerics;
using System.Security.Cryptography;

namespace Coffer.Protocol.WebAuthn;

/// <summary>
/// A credential public key in COSE_Key form (RFC 9052 §7, key type parameters RFC 9053 §7.1 and
/// RFC 8230 §4), as WebAuthn Level 2 §6.5.1.1 stores it in attested credential data. Accepted: EC2
/// (kty 2) on P-256 (crv 1) with alg −7 (ES256), 32-byte x and y on the curve; RSA (kty 3) with alg
/// −257 (RS256), a 2048–4096-bit modulus n and an odd public exponent e of at most 4 bytes, both
/// without leading zero bytes.
/// </summary>
/// <remarks>
/// WebAuthn says the key "MUST contain the alg parameter and MUST NOT contain any other OPTIONAL
/// parameters", so any label other than kty, alg and the key type's own parameters is refused, as are
/// compressed EC points (y given as a boolean). The exact encoded bytes are kept: they are what a
/// relying party stores and later verifies assertions with.
/// </remarks>
public sealed class CoseKey
{
    private const long LabelKty = 1;
    private const long LabelAlg = 3;
    private const long LabelCrv = -1;
    private const long LabelX = -2;
    private const long LabelY = -3;
    private const long LabelN = -1;
    private const long LabelE = -2;
    private const long KtyEc2 = 2;
    private const long KtyRsa = 3;
    private const long CrvP256 = 1;
    private const int P256CoordinateSize = 32;
    private const int MinRsaModulusSize = 256;
    private const int MaxRsaModulusSize = 512;
    private const int MaxRsaExponentSize = 4;

    // SP 800-186 §3.2.1.3: P-256 is y² = x³ − 3x + b over GF(p).
    private static readonly BigInteger P256Prime = new(
        Convert.FromHexString("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"), isUnsigned: true, isBigEndian: true);

    private static readonly BigInteger P256B = new(
        Convert.FromHexString("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"), isUnsigned: true, isBigEndian: true);

    private readonly byte[] _encoded;
    private readonly byte[] _first;
    private readonly byte[] _second;

    private CoseKey(byte[] encoded, CoseAlgorithm algorithm, byte[] first, byte[] second)
    {
        _encoded = encoded;
        Algorithm = algorithm;
        _first = first;
        _second = second;
    }

    /// <summary>The signature algorithm the key is bound to.</summary>
    public CoseAlgorithm Algorithm { get; }

    /// <summary>The exact COSE_Key bytes the key was parsed from.</summary>
    public ReadOnlySpan<byte> Encoded => _encoded;

    /// <summary>A copy of <see cref="Encoded"/>, for storage.</summary>
    public byte[] ToArray() => _encoded.ToArray();

    /// <summary>Parses a COSE_Key that fills all of <paramref name="encoded"/>.</summary>
    /// <exception cref="WebAuthnFormatException">Malformed CBOR, or not an accepted key (see the class summary).</exception>
    public static CoseKey Parse(ReadOnlySpan<byte> encoded) => FromCbor(Cbor.Decode(encoded));

    /// <summary>Parses a COSE_Key from an already decoded CBOR map.</summary>
    /// <exception cref="WebAuthnFormatException">Not an accepted key (see the class summary).</exception>
    public static CoseKey FromCbor(CborValue map)
    {
        ArgumentNullException.ThrowIfNull(map);
        long kty = map.Required(LabelKty).ToInt64();
        long alg = map.Required(LabelAlg).ToInt64();
        return kty switch
        {
            KtyEc2 => ParseEc2(map, alg),
            KtyRsa => ParseRsa(map, alg),
            _ => throw new WebAuthnFormatException("Unsupported COSE key type."),
        };
    }

    /// <summary>
    /// True when <paramref name="signature"/> is this key's valid signature over
    /// <paramref name="data"/>: DER ECDSA for ES256, PKCS#1 v1.5 for RS256. False for anything else.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            if (Algorithm == CoseAlgorithm.ES256)
            {
                using ECDsa ecdsa = ECDsa.Create(new ECParameters
                {
                    Curve = ECCurve.NamedCurves.nistP256,
                    Q = new ECPoint { X = _first, Y = _second },
                });
                return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            }
            using RSA rsa = RSA.Create(new RSAParameters { Modulus = _first, Exponent = _second });
            return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static CoseKey ParseEc2(CborValue map, long alg)
    {
        if (alg != (long)CoseAlgorithm.ES256)
        {
            throw new WebAuthnFormatException("Unsupported COSE algorithm for an EC2 key.");
        }
        OnlyLabels(map, LabelKty, LabelAlg, LabelCrv, LabelX, LabelY);
        if (map.Required(LabelCrv).ToInt64() != CrvP256)
        {
            throw new WebAuthnFormatException("Unsupported COSE EC2 curve.");
        }
        byte[] x = map.Required(LabelX).ToByteArray();
        byte[] y = map.Required(LabelY).ToByteArray();
        if (x.Length != P256CoordinateSize || y.Length != P256CoordinateSize)
        {
            throw new WebAuthnFormatException("A P-256 coordinate is not 32 bytes.");
        }
        if (!IsOnP256(x, y))
        {
            throw new WebAuthnFormatException("The EC2 key is not a point on P-256.");
        }
        return new CoseKey(map.Encoded.ToArray(), CoseAlgorithm.ES256, x, y);
    }

    private static CoseKey ParseRsa(CborValue map, long alg)
    {
        if (alg != (long)CoseAlgorithm.RS256)
        {
            throw new WebAuthnFormatException("Unsupported COSE algorithm for an RSA key.");
        }
        OnlyLabels(map, LabelKty, LabelAlg, LabelN, LabelE);
        byte[] n = map.Required(LabelN).ToByteArray();
        byte[] e = map.Required(LabelE).ToByteArray();
        if (n.Length is < MinRsaModulusSize or > MaxRsaModulusSize || n[0] == 0 || (n[^1] & 1) == 0)
        {
            throw new WebAuthnFormatException("The RSA modulus is not an odd 2048–4096-bit integer without leading zeros.");
        }
        if (e.Length is 0 or > MaxRsaExponentSize || e[0] == 0 || (e[^1] & 1) == 0 || (e.Length == 1 && e[0] == 1))
        {
            throw new WebAuthnFormatException("The RSA public exponent is not an odd integer above 1 of at most 4 bytes.");
        }
        return new CoseKey(map.Encoded.ToArray(), CoseAlgorithm.RS256, n, e);
    }

    private static void OnlyLabels(CborValue map, params ReadOnlySpan<long> allowed)
    {
        foreach (KeyValuePair<CborValue, CborValue> entry in map.Entries)
        {
            if (entry.Key.Kind != CborKind.Number || !allowed.Contains(entry.Key.ToInt64()))
            {
                throw new WebAuthnFormatException("The COSE key has a parameter WebAuthn does not allow.");
            }
        }
    }

    /// <summary>Both coordinates below p and y² ≡ x³ − 3x + b (mod p); the identity has no affine form.</summary>
    private static bool IsOnP256(byte[] x, byte[] y)
    {
        BigInteger bx = new(x, isUnsigned: true, isBigEndian: true);
        BigInteger by = new(y, isUnsigned: true, isBigEndian: true);
        if (bx >= P256Prime || by >= P256Prime)
        {
            return false;
        }
        BigInteger left = BigInteger.ModPow(by, 2, P256Prime);
        BigInteger right = ((BigInteger.ModPow(bx, 3, P256Prime) - (3 * bx) + P256B) % P256Prime + P256Prime) % P256Prime;
        return left == right;
    }
}
