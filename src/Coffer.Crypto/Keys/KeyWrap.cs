using System.Security.Cryptography;

namespace Coffer.Crypto.Keys;

/// <summary>
/// Wrapping a 32-byte key to a principal's public key (PROTOCOL.md §5): RSA-OAEP
/// (RFC 8017 §7.1) with SHA-256, MGF1-SHA-256 and an empty label, 2048-bit keys with
/// e = 65537, over the 32 raw key bytes; the wrap is 256 bytes. The recipient's key
/// must be a canonical SPKI (see <see cref="RsaPublicKey"/>) and, before anything is
/// wrapped to it, verified against a certificate (§5.1) — that is the caller's job.
/// </summary>
public static class KeyWrap
{
    /// <summary>Length of a wrapped key.</summary>
    public const int WrappedLength = 256;

    /// <summary>Length of the key being wrapped.</summary>
    public const int KeyLength = 32;

    /// <summary>Wraps <paramref name="key"/> to the RSA public key in <paramref name="recipientSpki"/>.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes or the SPKI is not a canonical RSA-2048 key with e = 65537.</exception>
    public static byte[] Wrap(ReadOnlySpan<byte> recipientSpki, ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException("Only 32-byte keys are wrapped.", nameof(key));
        }
        using RSA rsa = RsaPublicKey.Import(recipientSpki);
        return rsa.Encrypt(key.ToArray(), RSAEncryptionPadding.OaepSHA256);
    }

    /// <summary>
    /// Unwraps a key with the recipient's private key. Null when the wrap does not
    /// decrypt to a 32-byte key ("could not decrypt", no reason). The caller zeroes the result.
    /// </summary>
    public static byte[]? Unwrap(RSA privateKey, ReadOnlySpan<byte> wrapped)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (wrapped.Length != WrappedLength)
        {
            return null;
        }
        byte[] key;
        try
        {
            key = privateKey.Decrypt(wrapped.ToArray(), RSAEncryptionPadding.OaepSHA256);
        }
        catch (CryptographicException)
        {
            return null;
        }
        if (key.Length != KeyLength)
        {
            CryptographicOperations.ZeroMemory(key);
            return null;
        }
        return key;
    }
}
