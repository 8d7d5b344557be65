using System.Text;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Members;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Audit;

/// <remarks>
/// Members who may view the activity log (<c>view_activity_log</c>; until the permission matrix exists, members of the
/// Owners or Administrators group); everyone else gets 403. Reading and exporting are themselves logged.
/// </remarks>
internal static class AuditEndpoints
{
    public const int DefaultLimit = 500;
    public const int MaxLimit = 5000;

    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/events", ListEvents).WithName("Audit_Events").RequireCofferSession().RequirePermission(OrgPermissions.ViewActivityLog);
        group.MapGet("/export", Export).WithName("Audit_Export").RequireCofferSession().RequirePermission(OrgPermissions.ViewActivityLog)
            .Produces<string>(StatusCodes.Status200OK, "application/jsonl");
        group.MapGet("/checkpoints/latest", LatestCheckpoint).WithName("Audit_LatestCheckpoint").RequireCofferSession().RequirePermission(OrgPermissions.ViewActivityLog);
        group.MapPost("/countersignatures", Countersign).WithName("Audit_Countersign").RequireCofferSession().RequirePermission(OrgPermissions.ViewActivityLog);
        return group;
    }

    internal static async Task<Results<Ok<AuditEventsResponse>, ProblemHttpResult>> ListEvents(long? after, int? limit, HttpContext http,
        AuditStore store, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        if (Page(after, limit) is not (long from, int take))
        {
            return Problems.Validation("limit", $"after must be at least 0 and limit between 1 and {MaxLimit}");
        }
        List<AuditEventRow> rows = await store.EventsAsync(from, take + 1, ct);
        audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.AuditRead, details: AuditEntry.DetailsOf(("after", from), ("limit", take))));
        return TypedResults.Ok(new AuditEventsResponse([.. rows.Take(take).Select(ToDto)], rows.Count > take));
    }

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> Export(long? after, int? limit, HttpContext http, AuditStore store,
        AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        if (Page(after, limit) is not (long from, int take))
        {
            return Problems.Validation("limit", $"after must be at least 0 and limit between 1 and {MaxLimit}");
        }
        List<AuditEventRow> rows = await store.EventsAsync(from, take, ct);
        StringBuilder lines = new();
        foreach (AuditEventRow row in rows)
        {
            lines.Append(JsonSerializer.Serialize(ToDto(row), CofferJsonContext.Default.AuditEventDto)).Append('\n');
        }
        audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.AuditExport,
            details: AuditEntry.DetailsOf(("after", from), ("limit", take), ("count", rows.Count))));
        return TypedResults.Text(lines.ToString(), "application/jsonl", Encoding.UTF8);
    }

    internal static async Task<Results<Ok<AuditCheckpointDto>, NotFound, ProblemHttpResult>> LatestCheckpoint(HttpContext http, AuditStore store,
        CancellationToken ct)
    {
        string? orgId = await store.OrganisationIdAsync(ct);
        if (orgId is null || await store.LatestCheckpointAsync(ct) is not { } cp)
        {
            return TypedResults.NotFound();
        }
        return TypedResults.Ok(new AuditCheckpointDto(orgId, cp.Seq, Base64Url.Encode(cp.ChainHash), cp.Time, Base64Url.Encode(cp.Signature),
            Base64Url.Encode(cp.PublicKey), Fingerprint.FromBytes(cp.KeyFingerprint).ToString()));
    }

    internal static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Countersign(AuditCountersignRequest request, HttpContext http,
        AuditStore store, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        RequestValidation v = new();
        byte[] chainHash = v.Bytes("chainHash", request.ChainHash, exactLength: Sha256Hash.Size);
        byte[] signature = v.Bytes("signature", request.Signature, exactLength: EcdsaP256.SignatureSize);
        v.Check(request.Seq >= 1, "seq", "must be at least 1");
        v.Check(request.Time >= 0, "time", "must be Unix milliseconds");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        string? orgId = await store.OrganisationIdAsync(ct);
        AuditCheckpointRow? cp = await store.CheckpointAsync(request.Seq, ct);
        if (orgId is null || cp is null)
        {
            return TypedResults.NotFound();
        }
        if (!cp.ChainHash.AsSpan().SequenceEqual(chainHash))
        {
            return Problems.Validation("chainHash", "is not the chain hash of that checkpoint");
        }
        byte[] tbs = new CountersignTbs(orgId, cp.Seq, Sha256Hash.FromBytes(cp.ChainHash), caller.MemberId, request.Time).ToBeSigned();
        List<byte[]> keys = await store.MemberSigningKeysAsync(caller.MemberId, ct);
        if (keys.Count == 0 || !EcdsaP256.Verify(keys[0], tbs, signature))
        {
            audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.AuditCountersign, outcome: AuditOutcomes.Failure,
                details: AuditEntry.DetailsOf(("seq", cp.Seq))));
            return Problems.Validation("signature", "is not your keyset signing key's countersign signature over this checkpoint");
        }
        long now = clock.NowMs();
        await store.AddCountersignatureAsync(cp.Seq, caller.MemberId, request.Time, signature, now, ct);
        await audit.RecordAsync(AuditEntry.By(caller, now, AuditActions.AuditCountersign, details: AuditEntry.DetailsOf(("seq", cp.Seq))), ct);
        return TypedResults.NoContent();
    }

    internal static AuditEventDto ToDto(AuditEventRow r) => new(r.Seq, r.Time, r.Action, r.Outcome, Base64Url.Encode(r.Hash), r.ActorMemberId,
        r.DeviceId, r.SessionId, r.Ip, r.TargetKind, r.TargetId, r.Details);

    private static (long After, int Limit)? Page(long? after, int? limit)
    {
        long from = after ?? 0;
        int take = limit ?? DefaultLimit;
        return from < 0 || take < 1 || take > MaxLimit ? null : (from, take);
    }
}
