using Coffer.Contracts.Issuers;
using Coffer.Contracts.Keys;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Issuers;

/// <remarks>
/// Issuer keys for administrators beyond the first Owner (PROTOCOL.md §5.1; docs/adr/0015). An administrator (a member
/// of Owners or Administrators) requests; an Owner — the only one holding the root key — lists the requests and
/// certifies or renews; every confirmed member reads the certificates, which are public.
/// </remarks>
internal static class IssuerEndpoints
{
    public static RouteGroupBuilder MapIssuerEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", List).WithName("Issuers_List").RequireCofferSession();
        group.MapPost("/", Certify).WithName("Issuers_Certify").RequireCofferSession();
        group.MapGet("/requests", Requests).WithName("Issuers_Requests").RequireCofferSession();
        group.MapPost("/requests", Request).WithName("Issuers_Request").RequireCofferSession();
        return group;
    }

    internal static async Task<Ok<IssuerListResponse>> List(HttpContext http, IssuerStore store, AuditLog audit, TimeProvider clock,
        CancellationToken ct)
    {
        IssuerListResponse issuers = await store.ListAsync(ct);
        audit.Record(AuditEntry.By(http.Caller(), clock.NowMs(), AuditActions.IssuerList));
        return TypedResults.Ok(issuers);
    }

    internal static async Task<Results<Ok<IssuerRequestListResponse>, ProblemHttpResult>> Requests(HttpContext http, IssuerStore store,
        AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        IssuerRequestListResponse? pending = await store.PendingAsync(caller.MemberId, ct);
        audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.IssuerRequestList, outcome: pending is null ? AuditOutcomes.Refused : AuditOutcomes.Success));
        return pending is null
            ? Problems.Of(CofferErrors.Forbidden, "Only Owners certify issuer keys, so only they see the requests.")
            : TypedResults.Ok(pending);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Request(IssuerKeyRequest request, HttpContext http, IssuerStore store,
        AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        // Who may ask is settled before what they sent is judged: everyone else gets the same 403 whatever the body.
        if (!await store.MayAsync(http.Caller().MemberId, certify: false, ct))
        {
            return Problems.Of(CofferErrors.Forbidden, "Only members of the Owners or Administrators group hold an issuer key.");
        }
        RequestValidation v = new();
        string issuerId = v.Id("issuerId", request.IssuerId);
        v.Check(request.Role == IssuerRoles.Admin, "role",
            request.Role == IssuerRoles.Provisioning ? "provisioning issuers belong to SCIM bridges and are not requested here yet" : "must be admin");
        SetupValidator.SigningKey(v, "publicKey", request.PublicKey)?.Dispose();
        v.Envelope("sealedPrivateKey", request.SealedPrivateKey);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        IssuerResult result = await store.RequestAsync(caller, request, now, ct);
        return result.Outcome == IssuerOutcome.Done
            ? TypedResults.NoContent()
            : await RefusedAsync(audit, caller, now, AuditActions.IssuerRequest, issuerId, result, ct);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Certify(CertifyIssuerRequest request, HttpContext http, IssuerStore store,
        AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        if (!await store.MayAsync(http.Caller().MemberId, certify: true, ct))
        {
            return Problems.Of(CofferErrors.Forbidden, "Only Owners certify issuer keys: it takes the organisation's root key.");
        }
        RequestValidation v = new();
        IssuerCertificateDto cert = request.Certificate;
        string issuerId = v.Id("certificate.issuerId", cert.IssuerId);
        v.Id("certificate.holderId", cert.HolderId);
        v.Check(cert.Role is IssuerRoles.Admin or IssuerRoles.Provisioning, "certificate.role", "must be admin or provisioning");
        v.Check(cert.IssuedAt >= 0, "certificate.issuedAt", "must not be negative");
        v.Check(cert.ExpiresAt >= 0, "certificate.expiresAt", "must not be negative");
        SetupValidator.SigningKey(v, "certificate.publicKey", cert.PublicKey)?.Dispose();
        v.Bytes("certificate.signature", cert.Signature, exactLength: EcdsaP256.SignatureSize);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        IssuerResult result = await store.CertifyAsync(caller, cert, now, ct);
        return result.Outcome == IssuerOutcome.Done
            ? TypedResults.NoContent()
            : await RefusedAsync(audit, caller, now, AuditActions.IssuerCertify, issuerId, result, ct);
    }

    /// <summary>Records the refusal (nothing else was written) and answers with its problem.</summary>
    private static async Task<ProblemHttpResult> RefusedAsync(AuditLog audit, CofferCaller caller, long now, string action, string issuerId,
        IssuerResult result, CancellationToken ct)
    {
        await audit.RecordAsync(AuditEntry.By(caller, now, action, AuditTargets.Issuer, issuerId, AuditOutcomes.Refused), ct);
        return result.Outcome switch
        {
            IssuerOutcome.Forbidden => Problems.Of(CofferErrors.Forbidden, result.Detail),
            IssuerOutcome.Replayed => Problems.Of(CofferErrors.Unauthenticated, "This request was already handled; nothing was written."),
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
