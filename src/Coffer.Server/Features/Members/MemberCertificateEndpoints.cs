using System.Data.Common;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Groups;
using Coffer.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Members;

/// <remarks>
/// <c>GET /api/v1/members/{id}/certificate</c>, for any confirmed member: a confirmed member's current certificate and
/// the issuer certificates behind it — public data that a client verifies to its pinned root before it wraps a group
/// or vault key to the member (PROTOCOL.md §5.1). Invited and pending members have no certificate yet: 404.
/// </remarks>
internal static class MemberCertificateEndpoints
{
    public static RouteGroupBuilder MapMemberCertificateEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/{memberId}/certificate", Get).WithName("Members_Certificate").RequireCofferSession();
        return group;
    }

    internal static async Task<Results<Ok<MemberCertificateResponse>, ProblemHttpResult>> Get(string memberId, HttpContext http,
        MemberCertificateStore store, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        MemberCertificateResponse? found = Ids.IsValid(memberId) ? await store.FindAsync(memberId, ct) : null;
        audit.Record(AuditEntry.By(http.Caller(), clock.NowMs(), AuditActions.MemberCertificateRead, AuditTargets.Member,
            found is null ? null : memberId, found is null ? AuditOutcomes.Refused : AuditOutcomes.Success));
        return found is null ? Problems.Of(CofferErrors.NotFound) : TypedResults.Ok(found);
    }
}

/// <summary>Reads a member's current certificate with its issuer chain.</summary>
internal sealed class MemberCertificateStore(IDatabase database)
{
    public async Task<MemberCertificateResponse?> FindAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        string? state = await c.ScalarAsync<string>(null, "SELECT state FROM members WHERE id = @memberId", new { memberId }, ct);
        CertificateReader.SubjectRow? row = state is null ? null : await CertificateReader.MemberAsync(c, null, memberId, ct);
        if (row is null)
        {
            return null;
        }
        List<IssuerCertificateDto> issuers = await CertificateReader.IssuersAsync(c, null, [row.IssuerId], ct);
        return new MemberCertificateResponse(memberId, state!, row.ToDto(), issuers);
    }
}
