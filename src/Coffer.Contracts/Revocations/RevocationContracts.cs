using Coffer.Contracts.Keys;

namespace Coffer.Contracts.Revocations;

/// <summary>
/// <c>GET /api/v1/revocations</c>: the newest signed revocation list (PROTOCOL.md §5.1) and, when an issuer signed
/// it, that issuer's certificates, so a client can verify it from the pinned root.
/// </summary>
/// <param name="List">The newest list.</param>
/// <param name="Issuers">The signing issuer's certificates (empty when the root signed).</param>
public sealed record RevocationListResponse(RevocationListDto List, IReadOnlyList<IssuerCertificateDto> Issuers);
