using Coffer.Contracts.Keys;

namespace Coffer.Contracts.Members;

/// <summary>
/// <c>GET /api/v1/members/{id}/certificate</c> (any confirmed member): a confirmed member's current certificate,
/// with the public keys it names, and the issuer certificates to verify it from the pinned root before wrapping
/// anything to those keys (PROTOCOL.md §5.1).
/// </summary>
/// <param name="MemberId">The member.</param>
/// <param name="State">Their state (<c>active</c>, <c>suspended</c>, …).</param>
/// <param name="Certificate">Their current member certificate.</param>
/// <param name="Issuers">Every certificate of the issuer that signed it.</param>
public sealed record MemberCertificateResponse(
    string MemberId,
    string State,
    SubjectCertificateDto Certificate,
    IReadOnlyList<IssuerCertificateDto> Issuers);
