using System.Data.Common;
using Coffer.Contracts.Keys;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Setup;

namespace Coffer.Server.Features.Vaults;

/// <summary>A principal's current certified keys: the keyset serial a certificate names and that keyset's encryption key.</summary>
internal sealed class CertifiedKeys
{
    public long KeysetSerial { get; set; }

    public byte[] EncryptionPublicKey { get; set; } = [];

    public byte[] SigningPublicKey { get; set; } = [];
}

/// <summary>
/// What the server checks of a vault grant's signed wrap (PROTOCOL.md §5.1): the record it signs is rebuilt from what the
/// server knows — this vault, its key serial, the principal named by the route and the fingerprint of that principal's
/// certified encryption key, SHA-256 of the wrap, the caller as signer — and must verify under the signer's certified
/// signing key. The server cannot see inside the RSA-OAEP wrap; recipients check it all again and open it.
/// </summary>
internal static class GrantChecks
{
    /// <summary>
    /// The current certified keys of a member (the newest keyset a member certificate names; with <paramref name="activeOnly"/>
    /// only while the member is active) or of a group. Null when there is no such principal or it has no certificate.
    /// </summary>
    public static async Task<CertifiedKeys?> CertifiedAsync(DbConnection c, DbTransaction? tx, string kind, string id, bool activeOnly,
        CancellationToken ct) =>
        kind switch
        {
            CertKinds.Member => await c.OneAsync<CertifiedKeys>(tx, $"""
                SELECT k.serial AS KeysetSerial, k.encryption_public_key AS EncryptionPublicKey, k.signing_public_key AS SigningPublicKey
                FROM keysets k
                JOIN members m ON m.id = k.member_id
                JOIN certificates ce ON ce.kind = 'member' AND ce.subject_id = k.member_id AND ce.keyset_id = k.id AND ce.keyset_serial = k.serial
                WHERE k.member_id = @id {(activeOnly ? "AND m.state = 'active'" : "")}
                ORDER BY k.serial DESC LIMIT 1
                """, new { id }, ct),
            CertKinds.Group => await c.OneAsync<CertifiedKeys>(tx, """
                SELECT k.serial AS KeysetSerial, k.encryption_public_key AS EncryptionPublicKey, k.signing_public_key AS SigningPublicKey
                FROM keysets k
                JOIN certificates ce ON ce.kind = 'group' AND ce.subject_id = k.group_id AND ce.keyset_id = k.id AND ce.keyset_serial = k.serial
                WHERE k.group_id = @id
                ORDER BY k.serial DESC LIMIT 1
                """, new { id }, ct),
            _ => null,
        };

    /// <summary>
    /// Whether <paramref name="wrap"/> gives key <paramref name="keySerial"/> of vault <paramref name="vaultId"/> to the principal
    /// <paramref name="recipientKind"/>/<paramref name="recipientId"/> at its certified keys, signed by <paramref name="signerId"/>
    /// with <paramref name="signerSigningKey"/> (DER SPKI).
    /// </summary>
    public static bool IsValid(SignedWrapDto wrap, string vaultId, long keySerial, string recipientKind, string recipientId, CertifiedKeys recipient,
        string signerId, byte[] signerSigningKey)
    {
        if (wrap.ObjectKind != WrapObjectKinds.Vault || wrap.ObjectId != vaultId || wrap.KeySerial != keySerial
            || wrap.RecipientKind != recipientKind || wrap.RecipientId != recipientId || wrap.RecipientKeysetSerial != recipient.KeysetSerial
            || wrap.SignerId != signerId
            || !Base64Url.TryDecode(wrap.Wrap, out byte[]? wrapped) || wrapped.Length != 256
            || !Base64Url.TryDecode(wrap.Signature, out byte[]? signature) || signature.Length != EcdsaP256.SignatureSize
            || !Fingerprint.TryFromSpki(recipient.EncryptionPublicKey, out Fingerprint encFpr, out SpkiAlgorithm alg) || alg != SpkiAlgorithm.Rsa
            || !EcdsaP256.TryImportPublicKey(signerSigningKey, out EcdsaP256PublicKey? signer))
        {
            return false;
        }
        using (signer)
        {
            return SetupValidator.TryRecord(() => new WrapTbs(WrapObjectKinds.Vault, vaultId, keySerial, recipientId, encFpr, Sha256Hash.Of(wrapped),
                    signerId), out WrapTbs? record)
                && record!.Verify(signer, signature);
        }
    }
}
