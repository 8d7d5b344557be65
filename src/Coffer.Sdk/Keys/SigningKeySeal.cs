using System.Globalization;
using System.Security.Cryptography;
using Coffer.Crypto.Keys;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;

namespace Coffer.Sdk.Keys;

/// <summary>
/// Sealing the organisation root's and an issuer's ECDSA P-256 private key (PKCS#8 DER) in an
/// AES-256-GCM envelope under a keyset's symmetric key, with the contexts of docs/adr/0006:
/// <c>coffer/keyset/&lt;keysetId&gt;/s&lt;serial&gt;/root</c> (the Owners group keyset) and
/// <c>coffer/keyset/&lt;keysetId&gt;/s&lt;serial&gt;/issuer/&lt;issuerId&gt;</c> (the administrator's own keyset).
/// The kid is that keyset's symmetric kid. An opened key is accepted only if its public half is
/// the certified one (the pinned root, or the issuer certificate's key).
/// </summary>
internal static class SigningKeySeal
{
    public static string RootContext(string keysetId, int serial) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/keyset/{keysetId}/s{serial}/root");

    public static string IssuerContext(string keysetId, int serial, string issuerId) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/keyset/{keysetId}/s{serial}/issuer/{issuerId}");

    public static Envelope Seal(Keyset keyset, string context, EcdsaP256PrivateKey key)
    {
        ArgumentNullException.ThrowIfNull(keyset);
        ArgumentNullException.ThrowIfNull(key);
        byte[] pkcs8 = key.ExportPkcs8();
        try
        {
            return keyset.SymmetricKey.Seal(context, pkcs8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>
    /// Opens a sealed signing key and checks its public half is <paramref name="expectedSpki"/>.
    /// Null when it does not decrypt, is not a P-256 key, or is another key.
    /// </summary>
    public static EcdsaP256PrivateKey? Open(Keyset keyset, string context, Envelope sealedKey, ReadOnlySpan<byte> expectedSpki)
    {
        ArgumentNullException.ThrowIfNull(keyset);
        ArgumentNullException.ThrowIfNull(sealedKey);
        byte[]? pkcs8 = keyset.SymmetricKey.Open(context, sealedKey);
        if (pkcs8 is null)
        {
            return null;
        }
        try
        {
            EcdsaP256PrivateKey key = EcdsaP256.ImportPrivateKey(pkcs8);
            if (!key.PublicKey.Spki.SequenceEqual(expectedSpki))
            {
                key.Dispose();
                return null;
            }
            return key;
        }
        catch (ArgumentException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }
}
