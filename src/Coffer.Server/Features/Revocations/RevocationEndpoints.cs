using System.Globalization;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Revocations;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Revocations;

/// <remarks>
/// The revocation list (PROTOCOL.md §5.1). Every confirmed member reads the newest; publishing needs
/// <c>manage_members</c> (docs/adr/0010: revoking says whose keys are no longer trusted — members, groups' old keys,
/// issuers of removed administrators — and the same people republish it daily so clients may keep wrapping) and a
/// signature by the root or an issuer the caller holds.
/// </remarks>
internal static class RevocationEndpoints
{
    /// <summary>The most entries one list may carry.</summary>
    public const int MaxEntries = 100_000;

    public static RouteGroupBuilder MapRevocationEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", Latest).WithName("Revocations_Latest").RequireCofferSession();
        group.MapPost("/", Publish).WithName("Revocations_Publish").RequireCofferSession().RequirePermission(OrgPermissions.ManageMembers);
        return group;
    }

    internal static async Task<Results<Ok<RevocationListResponse>, ProblemHttpResult>> Latest(HttpContext http, RevocationStore store, AuditLog audit,
        TimeProvider clock, CancellationToken ct)
    {
        RevocationListResponse? latest = await store.LatestAsync(ct);
        audit.Record(AuditEntry.By(http.Caller(), clock.NowMs(), AuditActions.RevocationRead, AuditTargets.RevocationList, null,
            latest is null ? AuditOutcomes.Failure : AuditOutcomes.Success));
        return latest is null ? Problems.Of(CofferErrors.NotFound) : TypedResults.Ok(latest);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Publish(RevocationListDto request, HttpContext http, RevocationStore store,
        AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = new();
        v.Check(request.Version >= 1, "version", "must be at least 1");
        v.Check(request.IssuedAt >= 0, "issuedAt", "must not be negative");
        if (request.IssuerId is not null)
        {
            v.Id("issuerId", request.IssuerId);
        }
        v.Bytes("signature", request.Signature, exactLength: EcdsaP256.SignatureSize);
        List<RevocationEntry> entries = [];
        v.Check(request.Entries.Count <= MaxEntries, "entries", string.Create(CultureInfo.InvariantCulture, $"must be at most {MaxEntries}"));
        HashSet<string> seen = new(StringComparer.Ordinal);
        for (int i = 0; i < request.Entries.Count && v.IsValid; i++)
        {
            try
            {
                RevocationEntry entry = RevocationEntry.Parse(request.Entries[i]);
                v.Check(seen.Add(request.Entries[i]), string.Create(CultureInfo.InvariantCulture, $"entries[{i}]"), "is listed twice");
                entries.Add(entry);
            }
            catch (Exception e) when (e is FormatException or ArgumentNullException)
            {
                v.Fail(string.Create(CultureInfo.InvariantCulture, $"entries[{i}]"), "must be <certKind>:<subjectId>:<keysetSerial>");
            }
        }
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        (RevocationOutcome outcome, string? problem) = await store.PublishAsync(caller, request, entries, now, ct);
        if (outcome == RevocationOutcome.Published)
        {
            return TypedResults.NoContent();
        }
        await audit.RecordAsync(AuditEntry.By(caller, now, AuditActions.RevocationPublish, AuditTargets.RevocationList, null, AuditOutcomes.Refused,
            AuditEntry.DetailsOf(("version", request.Version))), ct);
        return outcome switch
        {
            RevocationOutcome.Stale => Problems.Of(CofferErrors.StaleVersion, "The version must be exactly one more than the newest stored list's."),
            RevocationOutcome.Replayed => Problems.Of(CofferErrors.Unauthenticated, "This request was already handled; nothing was written."),
            _ => Invalid(problem ?? "request: is not acceptable"),
        };
    }

    private static ProblemHttpResult Invalid(string problem)
    {
        int colon = problem.IndexOf(':', StringComparison.Ordinal);
        return Problems.Validation(problem[..colon], problem[(colon + 2)..]);
    }
}
