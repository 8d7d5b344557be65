using Coffer.Contracts.Audit;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Common;
using Coffer.Contracts.Keys;

namespace Coffer.Contracts.Setup;

/// <summary>
/// <c>GET /api/v1/setup</c>: whether this server still waits for its first Owner, and the audit key it signs activity-log
/// checkpoints with, so the first Owner's client can certify it with the new root in the setup request (docs/adr/0016).
/// </summary>
/// <param name="Required">True until an organisation exists.</param>
/// <param name="AuditKey">The audit key's ECDSA P-256 DER SPKI, base64url (public).</param>
/// <param name="AuditKeyFingerprint">Its fingerprint, base32, for a person to compare with the server's log.</param>
public sealed record SetupStatusResponse(
    [property: JsonRequired] bool Required,
    string? AuditKey = null,
    string? AuditKeyFingerprint = null);

/// <summary>The organisation as the first Owner's client made it.</summary>
/// <param name="Name">The organisation's display name (not secret).</param>
/// <param name="Root">The root and its self-signed record; its fingerprint is the organisation fingerprint.</param>
/// <param name="RevocationList">Version 1 of the revocation list, signed by the root.</param>
/// <param name="SealedRootKey">The root's PKCS#8 private key sealed by the Owners group keyset key (docs/adr/0006).</param>
/// <param name="AuditKeyCertificate">
/// The server's audit key (from <c>GET /api/v1/setup</c>) certified by the new root (docs/adr/0016); it must name the
/// server's current audit key. Without it the audit key stays uncertified until an Owner certifies it.
/// </param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SetupOrganisationDto(
    [property: JsonRequired] string Name,
    [property: JsonRequired] OrganisationRootDto Root,
    [property: JsonRequired] RevocationListDto RevocationList,
    [property: JsonRequired] EnvelopeDto SealedRootKey,
    AuditKeyCertificateDto? AuditKeyCertificate = null);

/// <summary>The first Owner: account, keys and certificates, all made on their device.</summary>
/// <param name="MemberId">Member id (client-made UUIDv7: 2SKD and SRP need it before the server answers).</param>
/// <param name="Email">Sign-in handle.</param>
/// <param name="Name">Display name.</param>
/// <param name="Kdf">2SKD parameters.</param>
/// <param name="Verifier">SRP verifier v, 512 bytes, base64url.</param>
/// <param name="Keyset">The Owner's keyset, sealed by their AUK.</param>
/// <param name="Certificate">The Owner's member certificate, signed by their own issuer key.</param>
/// <param name="Issuer">The Owner's issuer certificate, signed by the root.</param>
/// <param name="SealedIssuerKey">The issuer's PKCS#8 private key sealed by the Owner's keyset key (docs/adr/0006).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SetupOwnerDto(
    [property: JsonRequired] string MemberId,
    [property: JsonRequired] string Email,
    [property: JsonRequired] string Name,
    [property: JsonRequired] KdfDto Kdf,
    [property: JsonRequired] string Verifier,
    [property: JsonRequired] KeysetDto Keyset,
    [property: JsonRequired] SubjectCertificateDto Certificate,
    [property: JsonRequired] IssuerCertificateDto Issuer,
    [property: JsonRequired] EnvelopeDto SealedIssuerKey);

/// <summary>
/// <c>POST /api/v1/setup</c>: creates the organisation, its root, the built-in groups and the
/// first Owner in one transaction. The one-time token comes from the setup link's fragment.
/// </summary>
/// <param name="Token">The one-time setup token, base64url.</param>
/// <param name="Organisation">Organisation and root.</param>
/// <param name="Owner">The first Owner.</param>
/// <param name="Groups">The built-in groups (owners, administrators, team_members, guests, recovery).</param>
/// <param name="Wraps">Group keys wrapped to the Owner and to the managing groups, each signed by the Owner.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SetupRequest(
    [property: JsonRequired] string Token,
    [property: JsonRequired] SetupOrganisationDto Organisation,
    [property: JsonRequired] SetupOwnerDto Owner,
    [property: JsonRequired] IReadOnlyList<GroupKeysDto> Groups,
    [property: JsonRequired] IReadOnlyList<SignedWrapDto> Wraps);

/// <summary>Answer to a successful setup.</summary>
/// <param name="OrgId">The organisation id.</param>
/// <param name="MemberId">The Owner's member id.</param>
public sealed record SetupResponse(
    [property: JsonRequired] string OrgId,
    [property: JsonRequired] string MemberId);
