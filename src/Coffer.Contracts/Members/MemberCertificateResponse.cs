using Coffer.Contracts.Keys;

namespace Coffer.Contracts.Members;

/// <summary>
/// <c>GET /api/v1/members/{id}/certificate</c> (any confirmed member): an active member's current certificate, which names
/// their public keys (SPKI) and keyset id and serial, and the issuer certificate that signed it. A client checks the chain
/// to the organisation root it pinned before it wraps anything to those keys or trusts a signature made with them
/// (PROTOCOL.md §5.1).
/// </summary>
/// <param name="Certificate">The member certificate with the public keys it names.</param>
/// <param name="Issuer">The issuer certificate (signed by the root) whose key signed <paramref name="Certificate"/>.</param>
public sealed record MemberCertificateResponse(
    [property: JsonRequired] SubjectCertificateDto Certificate,
    [property: JsonRequired] IssuerCertificateDto Issuer);
