using System.Security.Cryptography;

namespace Coffer.Crypto.Keys;

/// <summary>
/// Checks and imports RSA public keys as Coffer uses them (PROTOCOL.md §5): DER
/// SubjectPublicKeyInfo (RFC 5280) of a 2048-bit modulus with public exponent 65537,
/// canonical — re-exporting must give the same bytes, so one key has one fingerprint.
/// </summary>
public static class RsaPublicKey
{
    /// <summary>Modulus size in bits.</summary>
    public const int KeySizeBits = 2048;

    private static readonly byte[] F4 = [0x01, 0x00, 0x01];

    /// <summary>Imports a canonical RSA-2048/e=65537 SPKI; the caller disposes the key.</summary>
    /// <exception cref="ArgumentException">Anything else.</exception>
    public static RSA Import(ReadOnlySpan<byte> spki)
    {
        RSA rsa = RSA.Create();
        try
        {
            rsa.ImportSubjectPublicKeyInfo(spki, out int read);
            RSAParameters p = rsa.ExportParameters(false);
            bool ok = read == spki.Length
                && rsa.KeySize == KeySizeBits
                && p.Exponent is not null && p.Exponent.AsSpan().SequenceEqual(F4)
                && rsa.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki);
            if (!ok)
            {
                throw new ArgumentException("Not a canonical RSA-2048 public key with e = 65537.", nameof(spki));
            }
            return rsa;
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            throw new ArgumentException("Not a DER RSA public key.", nameof(spki));
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    /// <summary>True if <paramref name="spki"/> is a canonical RSA-2048/e=65537 public key.</summary>
    public static bool IsValid(ReadOnlySpan<byte> spki)
    {
        try
        {
            using RSA rsa = Import(spki);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
