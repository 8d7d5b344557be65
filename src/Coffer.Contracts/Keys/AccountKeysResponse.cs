using Coffer.Contracts.Common;
using Coffer.Contracts.Groups;

namespace Coffer.Contracts.Keys;

/// <summary>Who the signed-in member is.</summary>
/// <param name="MemberId">Member id.</param>
/// <param name="Email">Email.</param>
/// <param name="Name">Display name.</param>
/// <param name="State">Member state.</param>
public sealed record MemberSummaryDto(
    [property: JsonRequired] string MemberId,
    [property: JsonRequired] string Email,
    [property: JsonRequired] string Name,
    [property: JsonRequired] string State);

/// <summary>
/// <c>GET /api/v1/account/keys</c> (session layer): everything a client needs to unlock and to
/// verify what it unlocks — the member's sealed keyset and certificate, the organisation root,
/// the issuer certificates, the newest revocation list, the groups the member can open and the
/// signed wraps addressed to the member or those groups, with the signers' certificates.
/// </summary>
/// <param name="Member">The member.</param>
/// <param name="Keyset">The member's sealed keyset.</param>
/// <param name="Certificate">The member's certificate.</param>
/// <param name="Root">The organisation root.</param>
/// <param name="Issuers">Issuer certificates of the organisation.</param>
/// <param name="RevocationList">The newest revocation list.</param>
/// <param name="Groups">Groups the member belongs to or manages.</param>
/// <param name="Wraps">Group keys wrapped to the member or to those groups.</param>
/// <param name="Signers">Member certificates of everyone who signed one of the wraps.</param>
/// <param name="SealedIssuerKey">The member's own issuer key, sealed by their keyset key, if they are an issuer.</param>
/// <param name="SealedRootKey">The root key sealed by the Owners group key, for Owners.</param>
/// <param name="GroupSuccessions">
/// The certificate history of every group in <paramref name="Groups"/> that was rotated, with succession signatures, so a
/// client that pinned an earlier serial can follow the rotations (docs/adr/0010).
/// </param>
/// <remarks>The two sealed keys are always written, as null when absent: the context requires every constructor parameter.</remarks>
public sealed record AccountKeysResponse(
    [property: JsonRequired] MemberSummaryDto Member,
    [property: JsonRequired] KeysetDto Keyset,
    [property: JsonRequired] SubjectCertificateDto Certificate,
    [property: JsonRequired] OrganisationRootDto Root,
    [property: JsonRequired] IReadOnlyList<IssuerCertificateDto> Issuers,
    [property: JsonRequired] RevocationListDto RevocationList,
    [property: JsonRequired] IReadOnlyList<GroupKeysDto> Groups,
    [property: JsonRequired] IReadOnlyList<SignedWrapDto> Wraps,
    [property: JsonRequired] IReadOnlyList<SubjectCertificateDto> Signers,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] EnvelopeDto? SealedIssuerKey,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] EnvelopeDto? SealedRootKey,
    [property: JsonRequired] IReadOnlyList<GroupSuccessionDto> GroupSuccessions);
