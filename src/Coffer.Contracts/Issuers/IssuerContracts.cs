using Coffer.Contracts.Common;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Keys;

namespace Coffer.Contracts.Issuers;

/// <summary>
/// <c>POST /api/v1/issuers/requests</c>: an administrator's client asks for its own issuer key to be certified
/// (PROTOCOL.md §5.1; docs/adr/0015). The private half stays sealed under the administrator's keyset key; an Owner's
/// client certifies the public half with the organisation root.
/// </summary>
/// <param name="IssuerId">A new issuer id (UUIDv7), never used before: issuer ids are not reused (docs/adr/0004).</param>
/// <param name="Role"><c>admin</c> (<c>provisioning</c> is for SCIM bridges and not issued this way yet).</param>
/// <param name="PublicKey">The issuer's ECDSA P-256 SPKI, base64url.</param>
/// <param name="SealedPrivateKey">The PKCS#8 private key sealed under the holder's current keyset key, context
/// <c>coffer/keyset/&lt;keysetId&gt;/s&lt;serial&gt;/issuer/&lt;issuerId&gt;</c> (docs/adr/0006).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record IssuerKeyRequest(
    [property: JsonRequired] string IssuerId,
    [property: JsonRequired] string Role,
    [property: JsonRequired] string PublicKey,
    [property: JsonRequired] EnvelopeDto SealedPrivateKey);

/// <summary>A pending issuer request as an Owner's client sees it (the sealed key is not served: only its holder opens it).</summary>
/// <param name="IssuerId">The requested issuer id.</param>
/// <param name="Role">The requested role.</param>
/// <param name="HolderId">The administrator who asked.</param>
/// <param name="PublicKey">The issuer's ECDSA P-256 SPKI, base64url.</param>
/// <param name="RequestedAt">Unix ms.</param>
public sealed record PendingIssuerRequestDto(
    [property: JsonRequired] string IssuerId,
    [property: JsonRequired] string Role,
    [property: JsonRequired] string HolderId,
    [property: JsonRequired] string PublicKey,
    [property: JsonRequired] long RequestedAt);

/// <summary><c>GET /api/v1/issuers/requests</c> (Owners): the pending requests of current administrators, oldest first.</summary>
/// <param name="Requests">The requests.</param>
public sealed record IssuerRequestListResponse(
    [property: JsonRequired] IReadOnlyList<PendingIssuerRequestDto> Requests);

/// <summary>
/// <c>POST /api/v1/issuers</c> (Owners): an issuer certificate signed by the organisation root, certifying a pending
/// request's key or renewing an existing issuer (same issuer id, key, role and holder; a later expiry).
/// </summary>
/// <param name="Certificate">The certificate.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CertifyIssuerRequest(
    [property: JsonRequired] IssuerCertificateDto Certificate);

/// <summary>
/// <c>GET /api/v1/issuers</c> (any confirmed member): every issuer certificate of the organisation, oldest first —
/// renewals included, since a member certificate is judged against the issuer certificate valid when it was issued
/// (docs/adr/0005 rule 3). Clients verify each to the pinned root and honour the revocation list.
/// </summary>
/// <param name="Issuers">The certificates.</param>
public sealed record IssuerListResponse(
    [property: JsonRequired] IReadOnlyList<IssuerCertificateDto> Issuers);

/// <summary>
/// <c>GET /api/v1/issuers/certified?holder={memberId}</c> (<c>manage_members</c>): every member and group whose current
/// certificate was signed by an issuer the holder has or had (docs/adr/0027). A client retiring the holder's issuers
/// re-certifies each of them with its own issuer before it publishes the revocation (docs/adr/0005 rule 4), after
/// verifying each to its pinned root and against its pins.
/// </summary>
/// <param name="HolderId">The holder asked about.</param>
/// <param name="Members">The members' current certificates, with the keys they name (removed members included: the wraps they
/// signed stay valid only while their certificate does).</param>
/// <param name="Groups">The groups' current certificates with their key histories.</param>
/// <param name="Issuers">Every certificate of the holder's issuers, oldest first.</param>
public sealed record CertifiedSubjectsResponse(
    [property: JsonRequired] string HolderId,
    [property: JsonRequired] IReadOnlyList<SubjectCertificateDto> Members,
    [property: JsonRequired] IReadOnlyList<CertifiedGroupDto> Groups,
    [property: JsonRequired] IReadOnlyList<IssuerCertificateDto> Issuers);

/// <summary>A group's current certificate and its history, as <c>GET /api/v1/groups/{id}</c> serves them.</summary>
/// <param name="Certificate">The certificate of the group's current keyset.</param>
/// <param name="Successions">The group's certificate history, one per serial (docs/adr/0010).</param>
public sealed record CertifiedGroupDto(
    [property: JsonRequired] SubjectCertificateDto Certificate,
    [property: JsonRequired] IReadOnlyList<GroupSuccessionDto> Successions);

/// <summary>
/// <c>POST /api/v1/members/{id}/recertify</c> (<c>manage_members</c>) and <c>POST /api/v1/groups/{id}/recertify</c>
/// (<c>manage_groups</c>): a new certificate for the subject's <em>current</em> keyset — the same keyset id, serial, public
/// keys and base group or group kind — signed by a current issuer the caller holds, issued after the certificate it replaces
/// (docs/adr/0027). Nothing else changes: no key, wrap or membership.
/// </summary>
/// <param name="Certificate">The new certificate.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RecertifyRequest(
    [property: JsonRequired] SubjectCertificateDto Certificate);
