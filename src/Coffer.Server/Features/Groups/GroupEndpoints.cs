using System.Globalization;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;
using Coffer.Server.Features.StepUp;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Groups;

/// <remarks>
/// Groups (PROTOCOL.md §5, §5.1; docs/adr/0010). Every confirmed member may list and read groups (names, kinds,
/// permissions, public keys: nothing secret); changes need <c>manage_groups</c>, and the store narrows that further
/// (Owners only for the Owners, Administrators, Recovery and Provision Managers groups; nobody hands out permissions
/// they lack). Every read and every change, refused ones included, is in the activity log.
/// </remarks>
internal static class GroupEndpoints
{
    public static RouteGroupBuilder MapGroupEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", List).WithName("Groups_List").RequireCofferSession();
        group.MapGet("/{groupId}", Get).WithName("Groups_Get").RequireCofferSession();
        group.MapPost("/", Create).WithName("Groups_Create").RequireCofferSession().RequirePermission(OrgPermissions.ManageGroups);
        group.MapPut("/{groupId}", Update).WithName("Groups_Update").RequireCofferSession().RequirePermission(OrgPermissions.ManageGroups);
        group.MapPost("/{groupId}/members", AddMember).WithName("Groups_AddMember").RequireCofferSession().RequirePermission(OrgPermissions.ManageGroups);
        group.MapPost("/{groupId}/rotate", Rotate).WithName("Groups_Rotate").RequireCofferSession().RequirePermission(OrgPermissions.ManageGroups);
        return group;
    }

    internal static async Task<Ok<GroupListResponse>> List(HttpContext http, GroupStore store, PermissionStore permissions, AuditLog audit,
        TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        bool manage = await permissions.HasAsync(caller.MemberId, OrgPermissions.ManageGroups, ct);
        List<GroupSummaryDto> groups = await store.ListAsync(manage, ct);
        audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.GroupList));
        return TypedResults.Ok(new GroupListResponse(groups));
    }

    internal static async Task<Results<Ok<GroupDetailResponse>, ProblemHttpResult>> Get(string groupId, HttpContext http, GroupStore store,
        PermissionStore permissions, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        GroupDetailResponse? detail = Ids.IsValid(groupId)
            ? await store.DetailAsync(groupId, await permissions.HasAsync(caller.MemberId, OrgPermissions.ManageGroups, ct), ct)
            : null;
        audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.GroupRead, AuditTargets.Group, detail is null ? null : groupId,
            detail is null ? AuditOutcomes.Refused : AuditOutcomes.Success));
        return detail is null ? Problems.Of(CofferErrors.NotFound) : TypedResults.Ok(detail);
    }

    internal static async Task<Results<Created<GroupDetailResponse>, ProblemHttpResult>> Create(CreateGroupRequest request, HttpContext http,
        GroupStore store, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = new();
        string groupId = v.Id("groupId", request.GroupId);
        v.Text("name", request.Name, 200);
        IReadOnlySet<string> permissions = Permissions(v, request.Permissions);
        v.Check(request.Keyset.Serial == 1, "keyset.serial", "must be 1");
        CheckGroupKeyset(v, "keyset", request.Keyset);
        v.Check(request.ManagerWraps.Count == 2, "managerWraps", "must wrap the group key to the Owners and the Administrators group");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        GroupResult result = await store.CreateAsync(caller, request, permissions, now, ct);
        if (result.Outcome != GroupOutcome.Done)
        {
            return await RefusedAsync(audit, caller, now, AuditActions.GroupCreate, null, result, ct);
        }
        return TypedResults.Created($"/api/v1/groups/{groupId}", await store.DetailAsync(groupId, withManagement: true, ct));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Update(string groupId, UpdateGroupRequest request, HttpContext http,
        GroupStore store, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(groupId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        RequestValidation v = new();
        v.Text("name", request.Name, 200);
        IReadOnlySet<string> permissions = Permissions(v, request.Permissions);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        GroupResult result = await store.UpdateAsync(caller, groupId, request, permissions, now, ct);
        return result.Outcome == GroupOutcome.Done
            ? TypedResults.NoContent()
            : await RefusedAsync(audit, caller, now, AuditActions.GroupUpdate, groupId, result, ct);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> AddMember(string groupId, AddGroupMemberRequest request, HttpContext http,
        GroupStore store, AuditLog audit, StepUpStore stepUps, StepUpGate stepUp, TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(groupId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        RequestValidation v = new();
        CheckWrap(v, "wrap", request.Wrap);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        // Joining Owners or Administrators is POLICY.md's "adding an Owner/Administrator": a step-up action (docs/adr/0024).
        if (await stepUps.AnyAdministrativeGroupAsync([groupId], ct) && await stepUp.CheckAsync(http, StepUpActions.AddAdmin, ct) is { } stepUpRequired)
        {
            return stepUpRequired;
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        GroupResult result = await store.AddMemberAsync(caller, groupId, request.Wrap, now, ct);
        return result.Outcome == GroupOutcome.Done
            ? TypedResults.NoContent()
            : await RefusedAsync(audit, caller, now, AuditActions.GroupMemberAdd, groupId, result, ct);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Rotate(string groupId, RotateGroupRequest request, HttpContext http,
        GroupStore store, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(groupId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        RequestValidation v = new();
        v.Check(request.ExpectedKeySerial >= 1, "expectedKeySerial", "must be at least 1");
        for (int i = 0; i < request.RemovedMemberIds.Count; i++)
        {
            v.Id(Indexed("removedMemberIds", i), request.RemovedMemberIds[i]);
        }
        CheckGroupKeyset(v, "keyset", request.Keyset);
        v.Bytes("successionSignature", request.SuccessionSignature, exactLength: EcdsaP256.SignatureSize);
        CheckWraps(v, "memberWraps", request.MemberWraps);
        CheckWraps(v, "managerWraps", request.ManagerWraps);
        CheckWraps(v, "managedWraps", request.ManagedWraps);
        CheckWraps(v, "vaultGrants", request.VaultGrants);
        if (request.SealedRootKey is not null)
        {
            v.Envelope("sealedRootKey", request.SealedRootKey);
        }
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        GroupResult result = await store.RotateAsync(caller, groupId, request, now, ct);
        return result.Outcome == GroupOutcome.Done
            ? TypedResults.NoContent()
            : await RefusedAsync(audit, caller, now, AuditActions.GroupRotate, groupId, result, ct);
    }

    /// <summary>Records the refusal (nothing else was written) and answers with its problem.</summary>
    private static async Task<ProblemHttpResult> RefusedAsync(AuditLog audit, CofferCaller caller, long now, string action, string? groupId,
        GroupResult result, CancellationToken ct)
    {
        await audit.RecordAsync(AuditEntry.By(caller, now, action, groupId is null ? null : AuditTargets.Group, groupId, AuditOutcomes.Refused), ct);
        return result.Outcome switch
        {
            GroupOutcome.NotFound => Problems.Of(CofferErrors.NotFound),
            GroupOutcome.Forbidden => Problems.Of(CofferErrors.Forbidden, result.Detail),
            GroupOutcome.Stale => Problems.Of(CofferErrors.StaleVersion, result.Detail),
            GroupOutcome.LastOwner => Problems.Of(CofferErrors.LastOwner, result.Detail),
            GroupOutcome.Replayed => Problems.Of(CofferErrors.Unauthenticated, "This request was already handled; nothing was written."),
            _ => Invalid(result.Detail ?? "request: is not acceptable"),
        };
    }

    /// <summary>The store names a problem as <c>field: message</c>.</summary>
    private static ProblemHttpResult Invalid(string problem)
    {
        int colon = problem.IndexOf(':', StringComparison.Ordinal);
        return Problems.Validation(problem[..colon], problem[(colon + 2)..]);
    }

    /// <summary>Distinct names of organisation permissions (POLICY.md).</summary>
    internal static IReadOnlySet<string> Permissions(RequestValidation v, IReadOnlyList<string> names)
    {
        HashSet<string> set = new(StringComparer.Ordinal);
        bool ok = names.All(n => n is not null && OrgPermissions.All.Contains(n) && set.Add(n));
        v.Check(ok, "permissions", "must be distinct organisation permissions: " + string.Join(", ", OrgPermissions.All));
        return set;
    }

    /// <summary>A group keyset: canonical public keys and private keys sealed under its own key; no sealed symmetric key.</summary>
    private static void CheckGroupKeyset(RequestValidation v, string field, KeysetDto keyset)
    {
        string kid = SetupValidator.KeysetKid(v, field, keyset);
        v.Check(keyset.SealedSymmetricKey is null, field + ".sealedSymmetricKey", "must be absent: a group key is wrapped to members");
        v.Envelope(field + ".sealedEncryptionPrivateKey", keyset.SealedEncryptionPrivateKey, kid);
        v.Envelope(field + ".sealedSigningPrivateKey", keyset.SealedSigningPrivateKey, kid);
        SetupValidator.KeyFingerprint(v, field + ".encryptionPublicKey", keyset.EncryptionPublicKey, SpkiAlgorithm.Rsa);
        SetupValidator.KeyFingerprint(v, field + ".signingPublicKey", keyset.SigningPublicKey, SpkiAlgorithm.EcP256);
    }

    private static void CheckWraps(RequestValidation v, string field, IReadOnlyList<SignedWrapDto> wraps)
    {
        for (int i = 0; i < wraps.Count; i++)
        {
            CheckWrap(v, Indexed(field, i), wraps[i]);
        }
    }

    private static void CheckWrap(RequestValidation v, string field, SignedWrapDto? wrap)
    {
        if (wrap is null)
        {
            v.Fail(field, "is required");
            return;
        }
        v.Check(wrap.ObjectKind is WrapObjectKinds.Group or WrapObjectKinds.Vault, field + ".objectKind", "must be group or vault");
        v.Id(field + ".objectId", wrap.ObjectId);
        v.Check(wrap.KeySerial >= 1, field + ".keySerial", "must be at least 1");
        v.Check(wrap.RecipientKind is "member" or "group", field + ".recipientKind", "must be member or group");
        v.Id(field + ".recipientId", wrap.RecipientId);
        v.Check(wrap.RecipientKeysetSerial >= 1, field + ".recipientKeysetSerial", "must be at least 1");
        v.Bytes(field + ".wrap", wrap.Wrap, exactLength: 256);
        v.Id(field + ".signerId", wrap.SignerId);
        v.Bytes(field + ".signature", wrap.Signature, exactLength: EcdsaP256.SignatureSize);
    }

    private static string Indexed(string field, int i) => string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");
}
