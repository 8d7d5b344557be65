using System.Security.Cryptography;
using Coffer.Protocol.Signatures;

namespace Coffer.Crypto.Provenance;

/// <summary>
/// Making the signed objects of PROTOCOL.md §5.1: the organisation root, issuer, member
/// and group certificates, signed wraps and revocation lists. Whoever calls these holds
/// the signing key; verification is <see cref="OrganisationTrust"/>'s job.
/// </summary>
public static class Signing
{
    /// <summary>Makes a new organisation root key and its self-signed record. The caller keeps the key sealed.</summary>
    public static (EcdsaP256PrivateKey RootKey, OrganisationRoot Root) CreateOrganisationRoot(string orgId, string accountId, long createdAt)
    {
        EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        try
        {
            OrgRootTbs record = new(orgId, accountId, key.PublicKey.Fingerprint, createdAt);
            return (key, new OrganisationRoot(record, key.PublicKey.ExportSpki(), record.Sign(key)));
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Certifies an issuer key with the root (validity at most 90 days).</summary>
    public static IssuerCertificate CertifyIssuer(EcdsaP256PrivateKey rootKey, string orgId, string issuerId, string role,
        string holderId, ReadOnlySpan<byte> issuerSpki, long issuedAt, long expiresAt)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        if (expiresAt - issuedAt > (long)OrganisationTrust.MaximumIssuerValidity.TotalMilliseconds || expiresAt <= issuedAt)
        {
            throw new ArgumentException("An issuer certificate is valid for at most 90 days.", nameof(expiresAt));
        }
        IssuerTbs record = new(orgId, issuerId, role, holderId, Fingerprint.FromSpki(issuerSpki), issuedAt, expiresAt);
        return new IssuerCertificate(record, issuerSpki.ToArray(), record.Sign(rootKey));
    }

    /// <summary>Signs a key-related policy record (PROTOCOL.md §5.2 <c>policy</c>) with the organisation root.</summary>
    public static byte[] SignPolicy(EcdsaP256PrivateKey rootKey, PolicyTbs record)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        ArgumentNullException.ThrowIfNull(record);
        return record.Sign(rootKey);
    }

    /// <summary>
    /// Certifies the server's audit key with the root (docs/adr/0016). The caller has checked that the key is the one the
    /// server presents as its own; a certificate supersedes every one with a smaller <paramref name="issuedAt"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="auditSpki"/> is not a canonical P-256 SPKI, or a field is malformed.</exception>
    public static AuditKeyCertificate CertifyAuditKey(EcdsaP256PrivateKey rootKey, string orgId, ReadOnlySpan<byte> auditSpki, long issuedAt)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        if (!Fingerprint.TryFromSpki(auditSpki, out Fingerprint auditFpr, out SpkiAlgorithm algorithm) || algorithm != SpkiAlgorithm.EcP256)
        {
            throw new ArgumentException("The audit key is not a canonical P-256 public key.", nameof(auditSpki));
        }
        AuditKeyTbs record = new(orgId, auditFpr, issuedAt);
        return new AuditKeyCertificate(record, auditSpki.ToArray(), record.Sign(rootKey));
    }

    /// <summary>Certifies a member's keyset (its two public keys) with an issuer key.</summary>
    public static MemberCertificate CertifyMember(EcdsaP256PrivateKey issuerKey, string orgId, string issuerId, string memberId,
        string baseGroup, string keysetId, long keysetSerial, ReadOnlySpan<byte> encryptionSpki, ReadOnlySpan<byte> signingSpki, long issuedAt)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        RequireRsa(encryptionSpki);
        MemberCertTbs record = new(orgId, memberId, baseGroup, Fingerprint.FromSpki(encryptionSpki), Fingerprint.FromSpki(signingSpki),
            keysetId, keysetSerial, issuerId, issuedAt);
        return new MemberCertificate(record, encryptionSpki.ToArray(), signingSpki.ToArray(), record.Sign(issuerKey));
    }

    /// <summary>Certifies a group's keyset with an issuer key.</summary>
    public static GroupCertificate CertifyGroup(EcdsaP256PrivateKey issuerKey, string orgId, string issuerId, string groupId,
        string groupKind, string keysetId, long keysetSerial, ReadOnlySpan<byte> encryptionSpki, ReadOnlySpan<byte> signingSpki, long issuedAt)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        RequireRsa(encryptionSpki);
        GroupCertTbs record = new(orgId, groupId, groupKind, Fingerprint.FromSpki(encryptionSpki), Fingerprint.FromSpki(signingSpki),
            keysetId, keysetSerial, issuerId, issuedAt);
        return new GroupCertificate(record, encryptionSpki.ToArray(), signingSpki.ToArray(), record.Sign(issuerKey));
    }

    /// <summary>
    /// Signs a wrap made for a recipient: object kind and id, key serial, the recipient and the
    /// fingerprint of the key it was wrapped to, SHA-256 of the ciphertext, and the signer.
    /// </summary>
    public static SignedWrap SignWrap(EcdsaP256PrivateKey signerKey, string signerId, string objectKind, string objectId, long keySerial,
        string recipientId, ReadOnlySpan<byte> recipientEncryptionSpki, byte[] wrap)
    {
        ArgumentNullException.ThrowIfNull(signerKey);
        ArgumentNullException.ThrowIfNull(wrap);
        WrapTbs record = new(objectKind, objectId, keySerial, recipientId, Fingerprint.FromSpki(recipientEncryptionSpki),
            Sha256Hash.FromBytes(SHA256.HashData(wrap)), signerId);
        return new SignedWrap(record, (byte[])wrap.Clone(), record.Sign(signerKey));
    }

    /// <summary>Signs a revocation list with the root (<paramref name="issuerId"/> null) or an issuer key.</summary>
    public static RevocationList SignRevocationList(EcdsaP256PrivateKey key, string? issuerId, string orgId, long listVersion,
        long issuedAt, IEnumerable<RevocationEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(key);
        RevocationTbs record = new(orgId, listVersion, issuedAt, entries);
        return new RevocationList(record, issuerId, record.Sign(key));
    }

    private static void RequireRsa(ReadOnlySpan<byte> spki)
    {
        if (!Keys.RsaPublicKey.IsValid(spki))
        {
            throw new ArgumentException("The encryption key is not a canonical RSA-2048 key with e = 65537.", nameof(spki));
        }
    }
}
