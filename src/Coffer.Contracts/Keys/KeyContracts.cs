using Coffer.Contracts.Common;

namespace Coffer.Contracts.Keys;

/// <summary>A keyset as stored: public keys in the clear, everything else sealed (PROTOCOL.md §5).</summary>
/// <param name="KeysetId">Keyset id.</param>
/// <param name="Serial">Keyset serial.</param>
/// <param name="EncryptionPublicKey">RSA-2048 SPKI, base64url.</param>
/// <param name="SigningPublicKey">ECDSA P-256 SPKI, base64url.</param>
/// <param name="SealedSymmetricKey">The symmetric key under the AUK (member keysets); null for group keysets, whose key is wrapped to members. Always written, as null when absent: the context requires every constructor parameter.</param>
/// <param name="SealedEncryptionPrivateKey">RSA private key under the keyset's symmetric key.</param>
/// <param name="SealedSigningPrivateKey">ECDSA private key under the keyset's symmetric key.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record KeysetDto(
    [property: JsonRequired] string KeysetId,
    [property: JsonRequired] int Serial,
    [property: JsonRequired] string EncryptionPublicKey,
    [property: JsonRequired] string SigningPublicKey,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] EnvelopeDto? SealedSymmetricKey,
    [property: JsonRequired] EnvelopeDto SealedEncryptionPrivateKey,
    [property: JsonRequired] EnvelopeDto SealedSigningPrivateKey);

/// <summary>The organisation root as clients verify it (PROTOCOL.md §5.1).</summary>
/// <param name="OrgId">Organisation id.</param>
/// <param name="AccountId">The 6-character account id of every Secret Key of the organisation.</param>
/// <param name="PublicKey">Root ECDSA P-256 SPKI, base64url; its fingerprint is the organisation fingerprint.</param>
/// <param name="CreatedAt">Unix ms, as signed.</param>
/// <param name="Signature">The root's signature over the org-root record, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record OrganisationRootDto(
    [property: JsonRequired] string OrgId,
    [property: JsonRequired] string AccountId,
    [property: JsonRequired] string PublicKey,
    [property: JsonRequired] long CreatedAt,
    [property: JsonRequired] string Signature);

/// <summary>An issuer certificate (signed by the root).</summary>
/// <param name="IssuerId">Issuer id.</param>
/// <param name="Role"><c>admin</c> or <c>provisioning</c>.</param>
/// <param name="HolderId">The member (or bridge) holding the key.</param>
/// <param name="PublicKey">Issuer ECDSA P-256 SPKI, base64url.</param>
/// <param name="IssuedAt">Unix ms.</param>
/// <param name="ExpiresAt">Unix ms, at most 90 days later.</param>
/// <param name="Signature">The root's signature, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record IssuerCertificateDto(
    [property: JsonRequired] string IssuerId,
    [property: JsonRequired] string Role,
    [property: JsonRequired] string HolderId,
    [property: JsonRequired] string PublicKey,
    [property: JsonRequired] long IssuedAt,
    [property: JsonRequired] long ExpiresAt,
    [property: JsonRequired] string Signature);

/// <summary>A member or group certificate (signed by an issuer); the public keys are those of the keyset it names.</summary>
/// <param name="SubjectId">Member or group id.</param>
/// <param name="Kind"><c>member</c> or <c>group</c>.</param>
/// <param name="Role">For a member its base group (<c>team_members</c>/<c>guests</c>); for a group its kind.</param>
/// <param name="KeysetId">Keyset id.</param>
/// <param name="KeysetSerial">Keyset serial.</param>
/// <param name="EncryptionPublicKey">RSA SPKI, base64url.</param>
/// <param name="SigningPublicKey">ECDSA SPKI, base64url.</param>
/// <param name="IssuerId">The issuer that signed.</param>
/// <param name="IssuedAt">Unix ms.</param>
/// <param name="Signature">The issuer's signature, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SubjectCertificateDto(
    [property: JsonRequired] string SubjectId,
    [property: JsonRequired] string Kind,
    [property: JsonRequired] string Role,
    [property: JsonRequired] string KeysetId,
    [property: JsonRequired] long KeysetSerial,
    [property: JsonRequired] string EncryptionPublicKey,
    [property: JsonRequired] string SigningPublicKey,
    [property: JsonRequired] string IssuerId,
    [property: JsonRequired] long IssuedAt,
    [property: JsonRequired] string Signature);

/// <summary>A key wrapped to a principal, with the wrapper's signature (PROTOCOL.md §5.1 "Signed wraps").</summary>
/// <param name="ObjectKind"><c>vault</c>, <c>group</c>, <c>item</c>, <c>root</c> or <c>recovery</c>.</param>
/// <param name="ObjectId">What the key belongs to.</param>
/// <param name="KeySerial">The key's serial.</param>
/// <param name="RecipientId">Member or group the key is wrapped to.</param>
/// <param name="RecipientKind"><c>member</c> or <c>group</c>.</param>
/// <param name="RecipientKeysetSerial">The recipient keyset serial the wrap is made for.</param>
/// <param name="Wrap">RSA-OAEP ciphertext, base64url.</param>
/// <param name="SignerId">The member who wrapped and signed.</param>
/// <param name="Signature">Signature over the wrap record, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SignedWrapDto(
    [property: JsonRequired] string ObjectKind,
    [property: JsonRequired] string ObjectId,
    [property: JsonRequired] long KeySerial,
    [property: JsonRequired] string RecipientId,
    [property: JsonRequired] string RecipientKind,
    [property: JsonRequired] long RecipientKeysetSerial,
    [property: JsonRequired] string Wrap,
    [property: JsonRequired] string SignerId,
    [property: JsonRequired] string Signature);

/// <summary>A signed revocation list.</summary>
/// <param name="Version">List version.</param>
/// <param name="IssuedAt">Unix ms.</param>
/// <param name="Entries"><c>&lt;certKind&gt;:&lt;subjectId&gt;:&lt;keysetSerial&gt;</c> entries in signed order.</param>
/// <param name="IssuerId">The issuer that signed, or null for the root (always written, as null for the root).</param>
/// <param name="Signature">Signature, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RevocationListDto(
    [property: JsonRequired] long Version,
    [property: JsonRequired] long IssuedAt,
    [property: JsonRequired] IReadOnlyList<string> Entries,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? IssuerId,
    [property: JsonRequired] string Signature);

/// <summary>A group with its keyset, certificate and the sealed root key when it is the Owners group.</summary>
/// <param name="GroupId">Group id.</param>
/// <param name="Kind"><c>owners</c>, <c>administrators</c>, <c>team_members</c>, <c>guests</c>, <c>recovery</c>, <c>custom</c>.</param>
/// <param name="Name">Display name (not secret).</param>
/// <param name="Keyset">The group keyset (no sealed symmetric key: it is wrapped).</param>
/// <param name="Certificate">The group certificate.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record GroupKeysDto(
    [property: JsonRequired] string GroupId,
    [property: JsonRequired] string Kind,
    [property: JsonRequired] string Name,
    [property: JsonRequired] KeysetDto Keyset,
    [property: JsonRequired] SubjectCertificateDto Certificate);
