using System.Globalization;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Vaults;
using Coffer.Protocol.Envelopes;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.StepUp;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Vaults;

/// <remarks>
/// Vaults and items (PROTOCOL.md §4-5, §9), all behind the session layer. The server stores what clients sealed and checks
/// only what it can: key ids against where an envelope lives, the current vault key serial, item versions, sizes, and the
/// write permissions of the caller's grants. A vault the caller holds no grant to is not found, whether it exists or not.
/// </remarks>
internal static class VaultEndpoints
{
    /// <summary>POLICY.md: at most 64 KiB of overview and details plaintext; each envelope adds its IV and tag.</summary>
    public const int MaxItemPlaintextBytes = 64 * 1024;

    public const int MaxItemSealedBytes = MaxItemPlaintextBytes + (2 * (Envelope.IvLength + Envelope.TagLength));

    public static RouteGroupBuilder MapVaultEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/", Create).WithName("Vaults_Create").RequireCofferSession();
        group.MapGet("/", List).WithName("Vaults_List").RequireCofferSession();
        group.MapGet("/{vaultId}", Get).WithName("Vaults_Get").RequireCofferSession();
        group.MapPost("/{vaultId}/rotate", Rotate).WithName("Vaults_Rotate").RequireCofferSession();
        group.MapGet("/{vaultId}/grants", ListGrants).WithName("Vaults_ListGrants").RequireCofferSession();
        group.MapPut("/{vaultId}/grants/{principalKind}/{principalId}", PutGrant).WithName("Vaults_PutGrant").RequireCofferSession();
        group.MapPatch("/{vaultId}/grants/{principalKind}/{principalId}", ChangeGrant).WithName("Vaults_ChangeGrant").RequireCofferSession();
        group.MapDelete("/{vaultId}/grants/{principalKind}/{principalId}", RemoveGrant).WithName("Vaults_RemoveGrant").RequireCofferSession();
        group.MapGet("/{vaultId}/items", ListItems).WithName("Items_List").RequireCofferSession();
        group.MapPut("/{vaultId}/items/{itemId}", PutItem).WithName("Items_Put").RequireCofferSession();
        group.MapGet("/{vaultId}/items/{itemId}", GetItem).WithName("Items_Get").RequireCofferSession();
        group.MapGet("/{vaultId}/items/{itemId}/history", History).WithName("Items_History").RequireCofferSession();
        group.MapPost("/{vaultId}/items/{itemId}/archive", Archive).WithName("Items_Archive").RequireCofferSession();
        group.MapPost("/{vaultId}/items/{itemId}/trash", Trash).WithName("Items_Trash").RequireCofferSession();
        group.MapPost("/{vaultId}/items/{itemId}/restore", Restore).WithName("Items_Restore").RequireCofferSession();
        group.MapPost("/{vaultId}/items/{itemId}/delete", Delete).WithName("Items_Delete").RequireCofferSession()
            .RequireStepUp(StepUpActions.PermanentDelete);
        return group;
    }

    internal static async Task<Results<Created<VaultDto>, ProblemHttpResult>> Create(CreateVaultRequest request, HttpContext http, VaultStore store,
        TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        RequestValidation v = new();
        string id = v.Id("id", request.Id);
        v.Check(request.Kind is VaultKinds.Personal or VaultKinds.Shared, "kind", "must be personal or shared");
        v.Check(request.KeySerial == 1, "keySerial", "must be 1 for a new vault");
        v.Check(request.AttributesVersion >= 1, "attributesVersion", "must be at least 1");
        v.Envelope("sealedAttributes", request.SealedAttributes, VaultKid(id, 1));
        CheckGrant(v, "grant", request.Grant, id, 1);
        v.Check(request.Grant?.RecipientKind == "member" && request.Grant.RecipientId == caller.MemberId, "grant.recipientId", "must be you");
        v.Check(request.Grant?.SignerId == caller.MemberId, "grant.signerId", "must be you");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        VaultResult<VaultDto> result = await store.CreateAsync(caller, request, clock.NowMs(), ct);
        return result.Outcome == VaultOutcome.Done
            ? TypedResults.Created($"/api/v1/vaults/{id}", result.Value)
            : Answer(result);
    }

    internal static async Task<Ok<VaultListResponse>> List(HttpContext http, VaultStore store, CancellationToken ct) =>
        TypedResults.Ok(new VaultListResponse(await store.ListAsync(http.Caller().MemberId, ct)));

    internal static async Task<Results<Ok<VaultDto>, ProblemHttpResult>> Get(string vaultId, HttpContext http, VaultStore store, CancellationToken ct) =>
        Ids.IsValid(vaultId) && await store.FindAsync(vaultId, http.Caller().MemberId, ct) is { } vault
            ? TypedResults.Ok(vault)
            : Problems.Of(CofferErrors.NotFound);

    /// <summary>Default and largest page of a delta (PROTOCOL.md §9).</summary>
    public const int DefaultPageSize = 500;

    public const int MaxPageSize = 1000;

    /// <summary>The items and sealed tombstones changed after <c>since</c> (0 or absent: from the start), one page at a time.</summary>
    internal static async Task<Results<Ok<ItemListResponse>, ProblemHttpResult>> ListItems(string vaultId, long? since, int? limit, HttpContext http,
        VaultStore store, CancellationToken ct)
    {
        if (!Ids.IsValid(vaultId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        RequestValidation v = new();
        v.Check(since is null or >= 0, "since", "must not be negative");
        v.Check(limit is null or (>= 1 and <= MaxPageSize), "limit", "must be between 1 and 1000");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        VaultResult<ItemListResponse> r = await store.ListItemsAsync(vaultId, http.Caller().MemberId, since ?? 0, limit ?? DefaultPageSize, ct);
        return r.Outcome == VaultOutcome.Done ? TypedResults.Ok(r.Value!) : Answer(r);
    }

    internal static async Task<Results<Ok<ItemDto>, ProblemHttpResult>> GetItem(string vaultId, string itemId, HttpContext http, VaultStore store, CancellationToken ct)
    {
        if (!Ids.IsValid(vaultId) || !Ids.IsValid(itemId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        VaultResult<ItemDto> r = await store.FindItemAsync(vaultId, itemId, http.Caller().MemberId, ct);
        return r.Outcome == VaultOutcome.Done ? TypedResults.Ok(r.Value!) : Answer(r);
    }

    internal static async Task<Results<Ok<ItemHistoryResponse>, ProblemHttpResult>> History(string vaultId, string itemId, HttpContext http, VaultStore store,
        CancellationToken ct)
    {
        if (!Ids.IsValid(vaultId) || !Ids.IsValid(itemId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        VaultResult<ItemHistoryResponse> r = await store.HistoryAsync(vaultId, itemId, http.Caller().MemberId, ct);
        return r.Outcome == VaultOutcome.Done ? TypedResults.Ok(r.Value!) : Answer(r);
    }

    /// <summary>Creates an item (<c>baseVersion</c> 0, needs create_items) or edits one without changing its flags (edit_items).</summary>
    internal static Task<Results<Ok<ItemDto>, ProblemHttpResult>> PutItem(string vaultId, string itemId, ItemWriteRequest request, HttpContext http,
        VaultStore store, TimeProvider clock, CancellationToken ct) =>
        WriteAsync(vaultId, itemId, request, http, store, clock, current => current is null
            ? (request.BaseVersion == 0 ? VaultPermissions.CreateItems : null)
            : (request.Archived == (current.Archived != 0) && request.Trashed == (current.Trashed != 0) ? VaultPermissions.EditItems : null), ct);

    /// <summary>Archives an item: the re-sealed item with <c>archived</c> set (archive_items).</summary>
    internal static Task<Results<Ok<ItemDto>, ProblemHttpResult>> Archive(string vaultId, string itemId, ItemWriteRequest request, HttpContext http,
        VaultStore store, TimeProvider clock, CancellationToken ct) =>
        WriteAsync(vaultId, itemId, request, http, store, clock,
            current => current is not null && request.Archived && request.Trashed == (current.Trashed != 0) ? VaultPermissions.ArchiveItems : null, ct);

    /// <summary>Moves an item to the trash: the re-sealed item with <c>trashed</c> set (delete_items).</summary>
    internal static Task<Results<Ok<ItemDto>, ProblemHttpResult>> Trash(string vaultId, string itemId, ItemWriteRequest request, HttpContext http,
        VaultStore store, TimeProvider clock, CancellationToken ct) =>
        WriteAsync(vaultId, itemId, request, http, store, clock,
            current => current is not null && request.Trashed && request.Archived == (current.Archived != 0) ? VaultPermissions.DeleteItems : null, ct);

    /// <summary>Restores an item from the trash (delete_items) or the archive (archive_items): the re-sealed item with both flags clear.</summary>
    internal static Task<Results<Ok<ItemDto>, ProblemHttpResult>> Restore(string vaultId, string itemId, ItemWriteRequest request, HttpContext http,
        VaultStore store, TimeProvider clock, CancellationToken ct) =>
        WriteAsync(vaultId, itemId, request, http, store, clock, current => current is null || request.Archived || request.Trashed ? null
            : current.Trashed != 0 ? VaultPermissions.DeleteItems
            : current.Archived != 0 ? VaultPermissions.ArchiveItems
            : null, ct);

    /// <summary>Deletes an item for good, leaving its sealed tombstone (delete_items).</summary>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(string vaultId, string itemId, DeleteItemRequest request, HttpContext http,
        VaultStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(vaultId) || !Ids.IsValid(itemId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        RequestValidation v = new();
        v.Check(request.BaseVersion >= 1, "baseVersion", "must be at least 1");
        v.Check(request.VaultKeySerial >= 1, "vaultKeySerial", "must be at least 1");
        long version = request.BaseVersion + 1;
        v.Envelope("sealedItemKey", request.SealedItemKey, VaultKid(vaultId, request.VaultKeySerial));
        v.Envelope("sealedTombstone", request.SealedTombstone, ItemKid(itemId, version));
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        VaultResult<bool> r = await store.DeleteItemAsync(http.Caller(), vaultId, itemId, request, clock.NowMs(), ct);
        return r.Outcome == VaultOutcome.Done ? TypedResults.NoContent() : Answer(r);
    }

    internal static async Task<Results<Ok<VaultDto>, ProblemHttpResult>> Rotate(string vaultId, RotateVaultRequest request, HttpContext http, VaultStore store,
        TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(vaultId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        RequestValidation v = new();
        v.Check(request.NewKeySerial >= 2, "newKeySerial", "must be at least 2");
        v.Check(request.AttributesVersion >= 1, "attributesVersion", "must be at least 1");
        v.Envelope("succession", request.Succession, VaultKid(vaultId, request.NewKeySerial - 1));
        v.Envelope("sealedAttributes", request.SealedAttributes, VaultKid(vaultId, request.NewKeySerial));
        for (int i = 0; i < (request.ItemKeys?.Count ?? 0); i++)
        {
            ItemKeyDto k = request.ItemKeys![i];
            string field = string.Create(CultureInfo.InvariantCulture, $"itemKeys[{i}]");
            v.Id(field + ".itemId", k?.ItemId);
            v.Check(k is not null && k.Version >= 1, field + ".version", "must be at least 1");
            v.Envelope(field + ".sealedItemKey", k?.SealedItemKey, VaultKid(vaultId, request.NewKeySerial));
        }
        for (int i = 0; i < (request.Grants?.Count ?? 0); i++)
        {
            CheckGrant(v, string.Create(CultureInfo.InvariantCulture, $"grants[{i}]"), request.Grants![i], vaultId, request.NewKeySerial);
            v.Check(request.Grants[i]?.SignerId == http.Caller().MemberId, string.Create(CultureInfo.InvariantCulture, $"grants[{i}].signerId"), "must be you");
        }
        v.Check(request.ItemKeys is not null, "itemKeys", "is required");
        v.Check(request.Grants is not null && request.Grants.Count >= 1, "grants", "must re-wrap every grant");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        VaultResult<VaultDto> r = await store.RotateAsync(http.Caller(), vaultId, request, clock.NowMs(), ct);
        return r.Outcome == VaultOutcome.Done ? TypedResults.Ok(r.Value!) : Answer(r);
    }

    /// <summary>Every grant of the vault: who holds it and with which permissions (manage_vault).</summary>
    internal static async Task<Results<Ok<VaultGrantListResponse>, ProblemHttpResult>> ListGrants(string vaultId, HttpContext http, VaultStore store,
        CancellationToken ct)
    {
        if (!Ids.IsValid(vaultId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        VaultResult<VaultGrantListResponse> r = await store.ListGrantsAsync(vaultId, http.Caller().MemberId, ct);
        return r.Outcome == VaultOutcome.Done ? TypedResults.Ok(r.Value!) : Answer(r);
    }

    /// <summary>
    /// Shares the vault with a member or group, or replaces their grant (manage_vault; docs/adr/0011): a signed wrap of the
    /// current vault key to the principal's certified encryption key, and permissions that include view_items.
    /// </summary>
    internal static async Task<Results<Ok<VaultGrantSummaryDto>, ProblemHttpResult>> PutGrant(string vaultId, string principalKind, string principalId,
        PutVaultGrantRequest request, HttpContext http, VaultStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(vaultId) || !Ids.IsValid(principalId) || principalKind is not ("member" or "group"))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        CofferCaller caller = http.Caller();
        RequestValidation v = new();
        IReadOnlyList<string>? permissions = CheckPermissions(v, request.Permissions);
        SignedWrapDto? wrap = request.Wrap;
        if (wrap is null)
        {
            v.Fail("wrap", "is required");
        }
        else
        {
            v.Check(wrap.ObjectKind == "vault", "wrap.objectKind", "must be vault");
            v.Check(wrap.ObjectId == vaultId, "wrap.objectId", "must be this vault");
            v.Check(wrap.KeySerial >= 1, "wrap.keySerial", "must be at least 1");
            v.Check(wrap.RecipientKind == principalKind, "wrap.recipientKind", "must be the principal's kind");
            v.Check(wrap.RecipientId == principalId, "wrap.recipientId", "must be the principal");
            v.Check(wrap.RecipientKeysetSerial >= 1, "wrap.recipientKeysetSerial", "must be at least 1");
            v.Bytes("wrap.wrap", wrap.Wrap, exactLength: 256);
            v.Check(wrap.SignerId == caller.MemberId, "wrap.signerId", "must be you");
            v.Bytes("wrap.signature", wrap.Signature, exactLength: 64);
        }
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        AuditedEndpointFilter.AddDetail(http, "permissions", string.Join(' ', permissions!));
        VaultResult<VaultGrantSummaryDto> r = await store.PutGrantAsync(caller, vaultId, principalKind, principalId, wrap!, permissions!, clock.NowMs(), ct);
        return r.Outcome == VaultOutcome.Done ? TypedResults.Ok(r.Value!) : Answer(r);
    }

    /// <summary>Changes only the permissions of an existing grant (manage_vault); the wrap stays.</summary>
    internal static async Task<Results<Ok<VaultGrantSummaryDto>, ProblemHttpResult>> ChangeGrant(string vaultId, string principalKind, string principalId,
        ChangeVaultGrantRequest request, HttpContext http, VaultStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(vaultId) || !Ids.IsValid(principalId) || principalKind is not ("member" or "group"))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        RequestValidation v = new();
        IReadOnlyList<string>? permissions = CheckPermissions(v, request.Permissions);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        AuditedEndpointFilter.AddDetail(http, "permissions", string.Join(' ', permissions!));
        VaultResult<VaultGrantSummaryDto> r = await store.ChangeGrantAsync(http.Caller(), vaultId, principalKind, principalId, permissions!, clock.NowMs(), ct);
        return r.Outcome == VaultOutcome.Done ? TypedResults.Ok(r.Value!) : Answer(r);
    }

    private static IReadOnlyList<string>? CheckPermissions(RequestValidation v, IReadOnlyList<string>? permissions)
    {
        IReadOnlyList<string>? canonical = VaultPermissions.Canonical(permissions);
        v.Check(canonical is not null, "permissions", "must be a non-empty set of vault permissions, each named once, including view_items");
        return canonical;
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RemoveGrant(string vaultId, string principalKind, string principalId, HttpContext http,
        VaultStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(vaultId) || !Ids.IsValid(principalId) || principalKind is not ("member" or "group"))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        VaultResult<bool> r = await store.RemoveGrantAsync(http.Caller(), vaultId, principalKind, principalId, clock.NowMs(), ct);
        return r.Outcome == VaultOutcome.Done ? TypedResults.NoContent() : Answer(r);
    }

    private static async Task<Results<Ok<ItemDto>, ProblemHttpResult>> WriteAsync(string vaultId, string itemId, ItemWriteRequest request, HttpContext http,
        VaultStore store, TimeProvider clock, Func<ItemRow?, string?> permissionFor, CancellationToken ct)
    {
        if (!Ids.IsValid(vaultId) || !Ids.IsValid(itemId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        RequestValidation v = new();
        v.Check(request.BaseVersion >= 0, "baseVersion", "must not be negative");
        v.Check(request.VaultKeySerial >= 1, "vaultKeySerial", "must be at least 1");
        long version = request.BaseVersion + 1;
        v.Envelope("sealedItemKey", request.SealedItemKey, VaultKid(vaultId, request.VaultKeySerial));
        Envelope? overview = v.Envelope("sealedOverview", request.SealedOverview, ItemKid(itemId, version));
        Envelope? details = v.Envelope("sealedDetails", request.SealedDetails, ItemKid(itemId, version));
        if (overview is not null && details is not null
            && overview.Iv.Length + overview.Data.Length + details.Iv.Length + details.Data.Length > MaxItemSealedBytes)
        {
            return Problems.Of(CofferErrors.PayloadTooLarge, "Overview and details together exceed 64 KiB.");
        }
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        VaultResult<ItemDto> r = await store.WriteItemAsync(http.Caller(), vaultId, itemId, request, permissionFor, clock.NowMs(), ct);
        return r.Outcome == VaultOutcome.Done ? TypedResults.Ok(r.Value!) : Answer(r);
    }

    private static void CheckGrant(RequestValidation v, string field, SignedWrapDto? grant, string vaultId, long keySerial)
    {
        if (grant is null)
        {
            v.Fail(field, "is required");
            return;
        }
        v.Check(grant.ObjectKind == "vault", field + ".objectKind", "must be vault");
        v.Check(grant.ObjectId == vaultId, field + ".objectId", "must be this vault");
        v.Check(grant.KeySerial == keySerial, field + ".keySerial", "must be the vault key's serial");
        v.Check(grant.RecipientKind is "member" or "group", field + ".recipientKind", "must be member or group");
        v.Id(field + ".recipientId", grant.RecipientId);
        v.Check(grant.RecipientKeysetSerial >= 1, field + ".recipientKeysetSerial", "must be at least 1");
        v.Bytes(field + ".wrap", grant.Wrap, exactLength: 256);
        v.Id(field + ".signerId", grant.SignerId);
        v.Bytes(field + ".signature", grant.Signature, exactLength: 64);
    }

    private static ProblemHttpResult Answer<T>(VaultResult<T> r) => r.Outcome switch
    {
        VaultOutcome.NotFound => Problems.Of(CofferErrors.NotFound),
        VaultOutcome.Forbidden => Problems.Of(CofferErrors.Forbidden, r.Detail),
        VaultOutcome.ItemVersionConflict => Problems.Of(CofferErrors.ItemVersionConflict),
        VaultOutcome.StaleVaultKey => Problems.Of(CofferErrors.StaleVaultKey),
        VaultOutcome.VaultChanged => Problems.Of(CofferErrors.VaultChanged),
        VaultOutcome.Invalid => Problems.Of(CofferErrors.ValidationFailed, r.Detail),
        VaultOutcome.Replayed => Problems.Of(CofferErrors.Unauthenticated, "This request was already handled; nothing was written."),
        VaultOutcome.CursorExpired => Problems.Of(CofferErrors.CursorExpired, "Deletions older than this cursor are no longer kept; sync the vault from the start."),
        _ => throw new InvalidOperationException("A finished write has no problem to answer with."),
    };

    private static string VaultKid(string vaultId, long serial) => string.Create(CultureInfo.InvariantCulture, $"vault:{vaultId}:k{serial}");

    private static string ItemKid(string itemId, long version) => string.Create(CultureInfo.InvariantCulture, $"item:{itemId}:v{version}");
}
