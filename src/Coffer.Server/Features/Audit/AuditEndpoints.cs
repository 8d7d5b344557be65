using System.Text;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Members;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.StepUp;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Audit;

/// <remarks>
/// Members who may view the activity log (<c>view_activity_log</c>; until the permission matrix exists, members of the
/// Owners or Administrators group); everyone else gets 403. Reading and exporting are themselves logged. The audit key and
/// its root certificate (docs/adr/0016) are public to every confirmed member; Owners certify it.
/// </remarks>
internal static class AuditEndpoints
{
    public const int DefaultLimit = 500;
    public const int MaxLimit = 5000;

    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/events", ListEvents).WithName("Audit_Events").RequireCofferSession().RequirePermission(OrgPermissions.ViewActivityLog);
        group.MapGet("/export", Export).WithName("Audit_Export").RequireCofferSession().RequirePermission(OrgPermissions.ViewActivityLog)
            .RequireStepUp(StepUpActions.BulkExport)
            .Produces<string>(StatusCodes.Status200OK, "application/jsonl");
        group.MapGet("/checkpoints/latest", LatestCheckpoint).WithName("Audit_LatestCheckpoint").RequireCofferSession().RequirePermission(OrgPermissions.ViewActivityLog);
        group.MapPost("/countersignatures", Countersign).WithName("Audit_Countersign").RequireCofferSession().RequirePermission(OrgPermissions.ViewActivityLog);
        // The audit key and its certificate are public, like issuer certificates: every confirmed member may read them. Only an
        // Owner's client holds the root that certifies the key; the store checks the caller is one (docs/adr/0016).
        group.MapGet("/key", AuditKeyState).WithName("Audit_Key").RequireCofferSession();
        group.MapPost("/key-certificate", CertifyAuditKey).WithName("Audit_CertifyKey").RequireCofferSession();
        return group;
    }

    internal static async Task<Results<Ok<AuditKeyResponse>, NotFound>> AuditKeyState(HttpContext http, AuditStore store,
        AuditKeyCertificateStore certificates, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        string? orgId = await store.OrganisationIdAsync(ct);
        if (orgId is null)
        {
            return TypedResults.NotFound();
        }
        AuditKeyResponse state = await KeyStateAsync(orgId, audit.Key.PublicKey, certificates, ct);
        audit.Record(AuditEntry.By(http.Caller(), clock.NowMs(), AuditActions.AuditKeyRead, AuditTargets.AuditKey,
            details: AuditEntry.DetailsOf(("certified", state.Certificate is not null))));
        return TypedResults.Ok(state);
    }

    /// <summary>
    /// An Owner's client certifies the audit key this server signs with now. The root signature is the authority; the server
    /// checks it against the stored root and refuses another key (409 <c>audit-key-mismatch</c>), another signer (400
    /// <c>bad-signature</c>) and a certificate not newer than one it holds (409 <c>stale-version</c>). Once stored, a checkpoint
    /// is signed at once, so the newest checkpoint is one a client can verify under the new certificate.
    /// </summary>
    internal static async Task<Results<Ok<AuditKeyResponse>, ProblemHttpResult>> CertifyAuditKey(AuditKeyCertificateDto request, HttpContext http,
        AuditStore store, AuditKeyCertificateStore certificates, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        // Who may certify is settled before what they sent is judged: everyone else gets the same 403 whatever the body.
        if (!await certificates.MayCertifyAsync(caller.MemberId, ct))
        {
            return Problems.Of(CofferErrors.Forbidden, "Only Owners certify the audit key: it takes the organisation's root key.");
        }
        RequestValidation v = new();
        byte[] spki = v.Bytes("publicKey", request.PublicKey, maxLength: 1024);
        v.Check(spki.Length == 0 || (Fingerprint.TryFromSpki(spki, out _, out SpkiAlgorithm algorithm) && algorithm == SpkiAlgorithm.EcP256),
            "publicKey", "must be a canonical P-256 SPKI");
        byte[] signature = v.Bytes("signature", request.Signature, exactLength: EcdsaP256.SignatureSize);
        v.Check(request.IssuedAt >= 0, "issuedAt", "must be Unix milliseconds");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        long now = clock.NowMs();
        EcdsaP256PublicKey current = audit.Key.PublicKey;
        AuditKeyCertifyResult result = await certificates.CertifyAsync(caller, spki, request.IssuedAt, signature, current.Fingerprint, now, ct);
        if (result.Outcome != AuditKeyCertifyOutcome.Done)
        {
            if (result.Outcome != AuditKeyCertifyOutcome.Replayed)
            {
                await audit.RecordAsync(AuditEntry.By(caller, now, AuditActions.AuditKeyCertify, AuditTargets.AuditKey, outcome: AuditOutcomes.Refused,
                    details: AuditEntry.DetailsOf(("reason", result.Outcome.ToString()))), ct);
            }
            return result.Outcome switch
            {
                AuditKeyCertifyOutcome.Forbidden => Problems.Of(CofferErrors.Forbidden, result.Detail),
                AuditKeyCertifyOutcome.NotTheAuditKey => Problems.Of(CofferErrors.AuditKeyMismatch, result.Detail),
                AuditKeyCertifyOutcome.NotSignedByRoot => Problems.Of(CofferErrors.BadSignature, result.Detail),
                AuditKeyCertifyOutcome.NotNewer => Problems.Of(CofferErrors.StaleVersion, result.Detail),
                AuditKeyCertifyOutcome.Replayed => Problems.Of(CofferErrors.Unauthenticated, "This request was already handled; nothing was written."),
                _ => Problems.Validation("issuedAt", "must be now"),
            };
        }
        // The certify event is committed; sign the checkpoint over it with the key just certified.
        await audit.CheckpointAsync(ct);
        string orgId = (await store.OrganisationIdAsync(ct))!;
        return TypedResults.Ok(await KeyStateAsync(orgId, current, certificates, ct));
    }

    private static async Task<AuditKeyResponse> KeyStateAsync(string orgId, EcdsaP256PublicKey key, AuditKeyCertificateStore certificates,
        CancellationToken ct)
    {
        AuditKeyCertificateRow? certificate = await certificates.CurrentForKeyAsync(key.Fingerprint, ct);
        return new AuditKeyResponse(orgId, Base64Url.Encode(key.Spki), key.Fingerprint.ToString(), ToDto(certificate));
    }

    internal static AuditKeyCertificateDto? ToDto(AuditKeyCertificateRow? r) =>
        r is null ? null : new AuditKeyCertificateDto(Base64Url.Encode(r.PublicKey), r.IssuedAt, Base64Url.Encode(r.Signature));

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
        AuditKeyCertificateStore certificates, CancellationToken ct)
    {
        string? orgId = await store.OrganisationIdAsync(ct);
        if (orgId is null || await store.LatestCheckpointAsync(ct) is not { } cp)
        {
            return TypedResults.NotFound();
        }
        Fingerprint key = Fingerprint.FromBytes(cp.KeyFingerprint);
        return TypedResults.Ok(new AuditCheckpointDto(orgId, cp.Seq, Base64Url.Encode(cp.ChainHash), cp.Time, Base64Url.Encode(cp.Signature),
            Base64Url.Encode(cp.PublicKey), key.ToString(), ToDto(await certificates.CurrentForKeyAsync(key, ct))));
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
