using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Coffer.Protocol.Signatures;

/// <summary>
/// ECDSA over NIST P-256 with SHA-256 (FIPS 186-5 §6, curve from SP 800-186 §3.2.1.3), the only
/// signature of PROTOCOL.md §5.2. Signatures are IEEE P1363 <c>r || s</c>, 64 bytes (WebCrypto's
/// native form); public keys travel as DER SubjectPublicKeyInfo (91 bytes), private keys as
/// unencrypted PKCS#8 (RFC 5208) that the caller seals and zeroes. Signatures are not unique
/// (<c>(r, n − s)</c> also verifies), so never use one as an identifier.
/// </summary>
public static class EcdsaP256
{
    /// <summary>The length of a P1363 signature: r and s, 32 bytes each.</summary>
    public const int SignatureSize = 64;

    /// <summary>The length of a P-256 public key's DER SPKI with an uncompressed point.</summary>
    public const int SpkiSize = 91;

    /// <summary>Generates a new key pair from the platform CSPRNG.</summary>
    public static EcdsaP256PrivateKey GenerateKey() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Imports a public key from its canonical DER SPKI.</summary>
    /// <exception cref="ArgumentException">Not the canonical SPKI of a P-256 key (see <see cref="TryImportPublicKey"/>).</exception>
    public static EcdsaP256PublicKey ImportPublicKey(ReadOnlySpan<byte> spki) =>
        TryImportPublicKey(spki, out EcdsaP256PublicKey? key)
            ? key
            : throw new ArgumentException("Not a canonical P-256 SubjectPublicKeyInfo.", nameof(spki));

    /// <summary>
    /// Imports a public key from its DER SPKI; false unless it is a P-256 point on the curve, named by
    /// OID, uncompressed, and re-exports to exactly the same bytes.
    /// </summary>
    public static bool TryImportPublicKey(ReadOnlySpan<byte> spki, [NotNullWhen(true)] out EcdsaP256PublicKey? key)
    {
        ECDsa? ecdsa = spki.Length == SpkiSize ? Spki.ImportCanonicalP256(spki) : null;
        key = ecdsa is null ? null : new EcdsaP256PublicKey(ecdsa, spki.ToArray());
        return key is not null;
    }

    /// <summary>Imports a private key from unencrypted PKCS#8 DER; the caller zeroes its copy.</summary>
    /// <exception cref="ArgumentException">Not a PKCS#8 P-256 private key, or trailing bytes.</exception>
    public static EcdsaP256PrivateKey ImportPrivateKey(ReadOnlySpan<byte> pkcs8)
    {
        ECDsa ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out int read);
            if (read != pkcs8.Length || !Spki.IsP256(ecdsa))
            {
                throw new ArgumentException("Not a PKCS#8 P-256 private key.", nameof(pkcs8));
            }
            return new EcdsaP256PrivateKey(ecdsa);
        }
        catch (CryptographicException)
        {
            ecdsa.Dispose();
            throw new ArgumentException("Not a PKCS#8 P-256 private key.", nameof(pkcs8));
        }
        catch (ArgumentException)
        {
            ecdsa.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="data"/> with the key in
    /// <paramref name="spki"/>; false for a bad signature and for a key that is not canonical P-256.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> spki, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (!TryImportPublicKey(spki, out EcdsaP256PublicKey? key))
        {
            return false;
        }
        using (key)
        {
            return key.Verify(data, signature);
        }
    }
}
