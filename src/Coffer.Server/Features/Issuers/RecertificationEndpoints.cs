using Coffer.Contracts.Issuers;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Issuers;

/// <remarks>
/// Retiring an administrator's issuers without locking anybody out (docs/adr/0027): what the holder's issuers certified
/// (<c>manage_members</c>), and a new certificate for a confirmed member's current keys (<c>manage_members</c>, like
/// confirmation) or a group's (<c>manage_groups</c>, like creation and rotation), signed by the caller's own issuer. Every
/// read and change, refused ones included, is in the activity log.
/// </remarks>
internal static class RecertificationEndpoints
{
    /// <summary><c>GET /api/v1/issuers/certified</c>.</summary>
    public static RouteGroupBuilder MapCertifiedEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/certified", Certified).WithName("Issuers_Certified").RequireCofferSession().RequirePermission(OrgPermissions.ManageMembers);
        return group;
    }

    /// <summary><c>POST /api/v1/members/{memberId}/recertify</c>.</summary>
    public static RouteGroupBuilder MapMemberRecertifyEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/{memberId}/recertify", RecertifyMember).WithName("Members_Recertify").RequireCofferSession()
            .RequirePermission(OrgPermissions.ManageMembers);
        return group;
    }

    /// <summary><c>POST /api/v1/groups/{groupId}/recertify</c>.</summary>
    public static RouteGroupBuilder MapGroupRecertifyEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/{groupId}/recertify", RecertifyGroup).WithName("Groups_Recertify").RequireCofferSession()
            .RequirePermission(OrgPermissions.ManageGroups);
        return group;
    }

    internal static async Task<Results<Ok<CertifiedSubjectsResponse>, ProblemHttpResult>> Certified(string? holder, HttpContext http,
        RecertificationStore store, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        if (holder is null || !Ids.IsValid(holder))
        {
            audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.IssuerCertifiedList, outcome: AuditOutcomes.Refused));
            return Problems.Validation("holder", "must be a member id");
        }
        CertifiedSubjectsResponse found = await store.CertifiedByAsync(holder, ct);
        audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.IssuerCertifiedList, AuditTargets.Member, holder,
            details: AuditEntry.DetailsOf(("members", found.Members.Count), ("groups", found.Groups.Count))));
        return TypedResults.Ok(found);
    }

    internal static Task<Results<NoContent, ProblemHttpResult>> RecertifyMember(string memberId, RecertifyRequest request, HttpContext http,
        RecertificationStore store, AuditLog audit, TimeProvider clock, CancellationToken ct) =>
        RecertifyAsync(memberId, request, http, audit, clock, AuditActions.MemberRecertify, AuditTargets.Member,
            (caller, cert, now) => store.RecertifyMemberAsync(caller, memberId, cert, now, ct), ct);

    internal static Task<Results<NoContent, ProblemHttpResult>> RecertifyGroup(string groupId, RecertifyRequest request, HttpContext http,
        RecertificationStore store, AuditLog audit, TimeProvider clock, CancellationToken ct) =>
        RecertifyAsync(groupId, request, http, audit, clock, AuditActions.GroupRecertify, AuditTargets.Group,
            (caller, cert, now) => store.RecertifyGroupAsync(caller, groupId, cert, now, ct), ct);

    private static async Task<Results<NoContent, ProblemHttpResult>> RecertifyAsync(string subjectId, RecertifyRequest request, HttpContext http,
        AuditLog audit, TimeProvider clock, string action, string targetKind, Func<CofferCaller, SubjectCertificateDto, long, Task<RecertifyResult>> store,
        CancellationToken ct)
    {
        if (!Ids.IsValid(subjectId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        RequestValidation v = new();
        SubjectCertificateDto? cert = request.Certificate;
        if (cert is null)
        {
            v.Fail("certificate", "is required");
        }
        else
        {
            v.Id("certificate.subjectId", cert.SubjectId);
            v.Id("certificate.keysetId", cert.KeysetId);
            v.Id("certificate.issuerId", cert.IssuerId);
            v.Check(cert.KeysetSerial >= 1, "certificate.keysetSerial", "must be at least 1");
            v.Check(cert.IssuedAt >= 0, "certificate.issuedAt", "must not be negative");
            v.Bytes("certificate.signature", cert.Signature, exactLength: EcdsaP256.SignatureSize);
        }
        RecertifyResult result = v.IsValid ? await store(caller, cert!, now) : RecertifyResult.Invalid("certificate: is malformed");
        if (result.Outcome == RecertifyOutcome.Done)
        {
            return TypedResults.NoContent();
        }
        // The refusal is recorded (nothing else was written); an unknown subject is not named in the log.
        await audit.RecordAsync(AuditEntry.By(caller, now, action, result.Outcome == RecertifyOutcome.NotFound ? null : targetKind,
            result.Outcome == RecertifyOutcome.NotFound ? null : subjectId, AuditOutcomes.Refused), ct);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        return result.Outcome switch
        {
            RecertifyOutcome.NotFound => Problems.Of(CofferErrors.NotFound),
            RecertifyOutcome.Forbidden => Problems.Of(CofferErrors.Forbidden, result.Detail),
            RecertifyOutcome.Replayed => Problems.Of(CofferErrors.Unauthenticated, "This request was already handled; nothing was written."),
            _ => Invalid(result.Detail ?? "request: is not acceptable"),
        };
    }

    /// <summary>The store names a problem as <c>field: message</c>.</summary>
    private static ProblemHttpResult Invalid(string problem)
    {
        int colon = problem.IndexOf(':', StringComparison.Ordinal);
        return Problems.Validation(problem[..colon], problem[(colon + 2)..]);
    }
}
