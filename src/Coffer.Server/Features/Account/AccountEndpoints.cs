using Coffer.Contracts.Accounts;
using Coffer.Contracts.Keys;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Account;

/// <remarks>Any signed-in member, for their own account: the keys come sealed, and only the client can open them.</remarks>
internal static class AccountEndpoints
{
    public static RouteGroupBuilder MapAccountEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/keys", GetKeys).WithName("Account_Keys").RequireCofferSession();
        group.MapGet("/pins", GetPins).WithName("Account_GetPins").RequireCofferSession();
        group.MapPut("/pins", PutPins).WithName("Account_PutPins").RequireCofferSession();
        group.MapGet("/feed", GetFeed).WithName("Account_Feed").RequireCofferSession().AddEndpointFilter<ConfirmedMemberFilter>();
        return group;
    }

    internal static async Task<Results<Ok<AccountKeysResponse>, NotFound>> GetKeys(HttpContext http, AccountStore store, AuditLog audit,
        TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        AccountKeysResponse? keys = await store.KeysForAsync(caller.MemberId, ct);
        audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.AccountKeysRead, AuditTargets.Member, caller.MemberId,
            keys is null ? AuditOutcomes.Failure : AuditOutcomes.Success));
        return keys is not null ? TypedResults.Ok(keys) : TypedResults.NotFound();
    }

    /// <summary>
    /// The account feed (PROTOCOL.md §9, docs/adr/0014): the changes for the caller after <c>since</c> (0 or absent: from the
    /// start), oldest first, at most <c>limit</c>. A cursor past the feed's head never came from this server: 400. Not in the
    /// activity log, like the event stream that prompts it: it names only ids and versions the caller may fetch anyway.
    /// </summary>
    internal static async Task<Results<Ok<AccountFeedResponse>, ProblemHttpResult>> GetFeed(long? since, int? limit, HttpContext http, AccountFeed feed,
        CancellationToken ct)
    {
        RequestValidation v = new();
        v.Check(since is null or >= 0, "since", "must not be negative");
        v.Check(limit is null or (>= 1 and <= AccountFeed.MaxPageSize), "limit", "must be between 1 and 1000");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        AccountFeedResponse? page = await feed.ReadAsync(http.Caller().MemberId, since ?? 0, limit ?? AccountFeed.DefaultPageSize, ct);
        return page is null ? Problems.Validation("since", "is past the feed's head; read the feed from 0") : TypedResults.Ok(page);
    }

    internal static async Task<Results<Ok<PinsDto>, NotFound>> GetPins(HttpContext http, PinsStore store, CancellationToken ct) =>
        await store.FindAsync(http.Caller().MemberId, ct) is { } pins ? TypedResults.Ok(pins) : TypedResults.NotFound();

    internal static async Task<Results<NoContent, ProblemHttpResult>> PutPins(PinsDto pins, HttpContext http, PinsStore store, AuditLog audit,
        TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = new();
        string keysetId = v.Id("keysetId", pins.KeysetId);
        v.Check(pins.Version >= 1, "version", "must be at least 1");
        v.Envelope("sealedPins", pins.SealedPins, $"keyset:{keysetId}:s{pins.KeysetSerial}");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        PinsWrite written = await store.StoreAsync(caller.MemberId, pins, now, ct);
        await audit.RecordAsync(AuditEntry.By(caller, now, AuditActions.PinsUpdate, AuditTargets.Member, caller.MemberId,
            written == PinsWrite.Stored ? AuditOutcomes.Success : AuditOutcomes.Refused, AuditEntry.DetailsOf(("version", pins.Version))), ct);
        return written switch
        {
            PinsWrite.Stored => TypedResults.NoContent(),
            PinsWrite.Stale => Problems.Of(CofferErrors.StaleVersion, "A newer pins record is already stored; merge with it and store the next version."),
            PinsWrite.UnknownKeyset => Problems.Validation("keysetId", "must name one of your own keysets"),
            _ => throw new InvalidOperationException(),
        };
    }
}
