using Coffer.Protocol.Signatures;

namespace Coffer.Crypto.Provenance;

/// <summary>The organisation root (PROTOCOL.md §5.1): its public key and its self-signed org-root record.</summary>
/// <param name="Record">orgId, accountId, rootFpr, createdAt.</param>
/// <param name="RootPublicKey">The root's ECDSA P-256 public key, DER SPKI; its fingerprint is the organisation fingerprint.</param>
/// <param name="Signature">The root's signature over the record.</param>
public sealed record OrganisationRoot(OrgRootTbs Record, byte[] RootPublicKey, byte[] Signature);

/// <summary>An issuer certificate: an administrator's or SCIM bridge's signing key, certified by the root.</summary>
/// <param name="Record">The issuer record (role, holder, fingerprint, validity).</param>
/// <param name="IssuerPublicKey">The issuer's ECDSA P-256 public key, DER SPKI.</param>
/// <param name="Signature">The root's signature.</param>
public sealed record IssuerCertificate(IssuerTbs Record, byte[] IssuerPublicKey, byte[] Signature);

/// <summary>
/// The server's audit key, certified by the root (<c>audit-key</c>, docs/adr/0016): the key that signs activity-log checkpoints
/// (PROTOCOL.md §11). The certificate with the largest issuedAt names the current audit key.
/// </summary>
/// <param name="Record">orgId, auditFpr, issuedAt.</param>
/// <param name="AuditPublicKey">The audit key's ECDSA P-256 public key, DER SPKI.</param>
/// <param name="Signature">The root's signature.</param>
public sealed record AuditKeyCertificate(AuditKeyTbs Record, byte[] AuditPublicKey, byte[] Signature);

/// <summary>A member certificate, signed by an issuer.</summary>
/// <param name="Record">The member-cert record.</param>
/// <param name="EncryptionPublicKey">The member's RSA public key, DER SPKI.</param>
/// <param name="SigningPublicKey">The member's ECDSA P-256 public key, DER SPKI.</param>
/// <param name="Signature">The issuer's signature.</param>
public sealed record MemberCertificate(MemberCertTbs Record, byte[] EncryptionPublicKey, byte[] SigningPublicKey, byte[] Signature);

/// <summary>A group certificate, signed by an issuer.</summary>
/// <param name="Record">The group-cert record.</param>
/// <param name="EncryptionPublicKey">The group's RSA public key, DER SPKI.</param>
/// <param name="SigningPublicKey">The group's ECDSA P-256 public key, DER SPKI.</param>
/// <param name="Signature">The issuer's signature.</param>
public sealed record GroupCertificate(GroupCertTbs Record, byte[] EncryptionPublicKey, byte[] SigningPublicKey, byte[] Signature);

/// <summary>A wrapped key with its wrapper's signature (PROTOCOL.md §5.1 "Signed wraps").</summary>
/// <param name="Record">What the signer says it wrapped, to whom.</param>
/// <param name="Wrap">The RSA-OAEP ciphertext.</param>
/// <param name="Signature">The signer's signature over the record.</param>
public sealed record SignedWrap(WrapTbs Record, byte[] Wrap, byte[] Signature);

/// <summary>A signed certificate-revocation list.</summary>
/// <param name="Record">orgId, version, issuedAt, entries.</param>
/// <param name="IssuerId">The issuer that signed it, or null when the root did.</param>
/// <param name="Signature">The signature.</param>
public sealed record RevocationList(RevocationTbs Record, string? IssuerId, byte[] Signature);

/// <summary>Why a provenance check failed. Everything here is about public data, so a reason is safe to show.</summary>
public enum ProvenanceFailure
{
    /// <summary>The check passed.</summary>
    None,

    /// <summary>A signature does not verify.</summary>
    BadSignature,

    /// <summary>A public key is not the one its fingerprint names, or not canonical.</summary>
    FingerprintMismatch,

    /// <summary>The certificate belongs to another organisation.</summary>
    WrongOrganisation,

    /// <summary>Outside its validity (an issuer certificate, or a certificate issued outside its issuer's validity).</summary>
    Expired,

    /// <summary>On the revocation list.</summary>
    Revoked,

    /// <summary>The signer is not who the certificate says, or not allowed to sign this.</summary>
    WrongSigner,

    /// <summary>The signed fields differ from what the recipient expected.</summary>
    Mismatch,

    /// <summary>No revocation list, or one too old to wrap anything to.</summary>
    StaleRevocationList,
}
