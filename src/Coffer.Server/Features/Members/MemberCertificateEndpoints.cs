using System.Data.Common;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Protocol.Encoding;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Members;

/// <remarks>
/// <c>GET /api/v1/members/{memberId}/certificate</c> for any confirmed member: an active member's current certificate (the
/// newest keyset a member certificate names, with its public keys) and the issuer certificate that signed it, so a client
/// can check the chain to its pinned organisation root before it wraps a key to that member or trusts their signature
/// (PROTOCOL.md §5.1). Public keys and signatures only; a member who is not active (invited, pending, suspended) or does
/// not exist is the same 404. Each read is an event (group-committed).
/// </remarks>
internal static class MemberCertificateEndpoints
{
    public static RouteGroupBuilder MapMemberCertificateEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/{memberId}/certificate", Certificate).WithName("Members_Certificate").RequireCofferSession();
        return group;
    }

    internal static async Task<Results<Ok<MemberCertificateResponse>, ProblemHttpResult>> Certificate(string memberId, HttpContext http, IDatabase database,
        AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        MemberCertificateResponse? found = null;
        if (Ids.IsValid(memberId))
        {
            await using DbConnection c = await database.OpenAsync(ct);
            found = await FindAsync(c, memberId, ct);
        }
        audit.Record(AuditEntry.By(http.Caller(), clock.NowMs(), AuditActions.MemberCertificateRead, AuditTargets.Member,
            Ids.IsValid(memberId) ? memberId : null, found is null ? AuditOutcomes.Refused : AuditOutcomes.Success));
        return found is null ? Problems.Of(CofferErrors.NotFound) : TypedResults.Ok(found);
    }

    private static async Task<MemberCertificateResponse?> FindAsync(DbConnection c, string memberId, CancellationToken ct)
    {
        CertificateRow? cert = await c.OneAsync<CertificateRow>(null, """
            SELECT ce.subject_id AS SubjectId, ce.base_group AS BaseGroup, k.id AS KeysetId, k.serial AS KeysetSerial,
                   k.encryption_public_key AS EncryptionPublicKey, k.signing_public_key AS SigningPublicKey, ce.issuer_id AS IssuerId,
                   ce.issued_at AS IssuedAt, ce.signature AS Signature
            FROM members m
            JOIN keysets k ON k.member_id = m.id
            JOIN certificates ce ON ce.kind = 'member' AND ce.subject_id = m.id AND ce.keyset_id = k.id AND ce.keyset_serial = k.serial
            WHERE m.id = @memberId AND m.state = 'active'
            ORDER BY k.serial DESC, ce.issued_at DESC LIMIT 1
            """, new { memberId }, ct);
        if (cert is null)
        {
            return null;
        }
        // The issuer certificate valid when the member certificate was issued (renewals share the issuer id), else the newest.
        IssuerRow? issuer = await c.OneAsync<IssuerRow>(null, """
            SELECT subject_id AS IssuerId, role AS Role, holder_id AS HolderId, public_key AS PublicKey, issued_at AS IssuedAt,
                   expires_at AS ExpiresAt, signature AS Signature
            FROM certificates
            WHERE kind = 'issuer' AND subject_id = @IssuerId
            ORDER BY CASE WHEN issued_at <= @IssuedAt + 300000 AND expires_at >= @IssuedAt THEN 0 ELSE 1 END, issued_at DESC LIMIT 1
            """, new { cert.IssuerId, cert.IssuedAt }, ct);
        if (issuer is null)
        {
            return null;
        }
        return new MemberCertificateResponse(
            new SubjectCertificateDto(cert.SubjectId, "member", cert.BaseGroup, cert.KeysetId, cert.KeysetSerial, Base64Url.Encode(cert.EncryptionPublicKey),
                Base64Url.Encode(cert.SigningPublicKey), cert.IssuerId, cert.IssuedAt, Base64Url.Encode(cert.Signature)),
            new IssuerCertificateDto(issuer.IssuerId, issuer.Role, issuer.HolderId, Base64Url.Encode(issuer.PublicKey), issuer.IssuedAt, issuer.ExpiresAt,
                Base64Url.Encode(issuer.Signature)));
    }

    private sealed class CertificateRow
    {
        public string SubjectId { get; set; } = "";
        public string BaseGroup { get; set; } = "";
        public string KeysetId { get; set; } = "";
        public long KeysetSerial { get; set; }
        public byte[] EncryptionPublicKey { get; set; } = [];
        public byte[] SigningPublicKey { get; set; } = [];
        public string IssuerId { get; set; } = "";
        public long IssuedAt { get; set; }
        public byte[] Signature { get; set; } = [];
    }

    private sealed class IssuerRow
    {
        public string IssuerId { get; set; } = "";
        public string Role { get; set; } = "";
        public string HolderId { get; set; } = "";
        public byte[] PublicKey { get; set; } = [];
        public long IssuedAt { get; set; }
        public long ExpiresAt { get; set; }
        public byte[] Signature { get; set; } = [];
    }
}
