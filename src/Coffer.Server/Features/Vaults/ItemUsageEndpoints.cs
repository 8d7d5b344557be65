using System.Globalization;
using Coffer.Contracts.Vaults;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Vaults;

/// <remarks>
/// POLICY.md "Accounting": revealing, copying and filling an item's secrets happen on the client, which alone can open
/// them, so the client reports them. Each report becomes one event per use (<c>item.reveal</c>, <c>item.copy</c>,
/// <c>item.otp</c>, <c>item.autofill</c>) attributed like any other call; the client's own time goes in the details. Uses
/// in vaults the caller has no grant to are skipped, so nobody can write events about vaults they cannot see. The answer
/// waits until the events are committed, so a client drops from its queue only what is stored.
/// </remarks>
internal static class ItemUsageEndpoints
{
    public const int MaxEvents = 100;

    public static RouteGroupBuilder MapItemUsageEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/usage", Report).WithName("Items_ReportUsage").RequireCofferSession();
        return group;
    }

    internal static async Task<Results<Ok<ItemUsageRecorded>, ProblemHttpResult>> Report(ItemUsageReport request, HttpContext http, VaultStore store,
        AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = new();
        IReadOnlyList<ItemUsageDto> events = request.Events ?? [];
        v.Check(events.Count is >= 1 and <= MaxEvents, "events", $"must hold 1 to {MaxEvents} uses");
        for (int i = 0; i < events.Count && v.IsValid; i++)
        {
            string at = string.Create(CultureInfo.InvariantCulture, $"events[{i}]");
            ItemUsageDto e = events[i];
            v.Id(at + ".vaultId", e.VaultId);
            v.Id(at + ".itemId", e.ItemId);
            v.Check(ItemUsageActions.All.Contains(e.Action), at + ".action", "must be reveal, copy, otp or autofill");
            v.Check(e.Field is null || IsFieldPurpose(e.Field), at + ".field", "must be a field purpose: 1-20 of a-z and _");
            v.Check(e.At > 0, at + ".at", "must be a time in Unix milliseconds");
        }
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        HashSet<string> readable = await store.ReadableVaultsAsync(caller.MemberId, [.. events.Select(e => e.VaultId).Distinct(StringComparer.Ordinal)], ct);
        long now = clock.NowMs();
        List<AuditEntry> entries = [];
        foreach (ItemUsageDto e in events.Where(e => readable.Contains(e.VaultId)))
        {
            List<(string, object)> details = [("vaultId", e.VaultId), ("reportedAt", e.At)];
            if (e.Field is not null)
            {
                details.Add(("field", e.Field));
            }
            entries.Add(AuditEntry.By(caller, now, "item." + e.Action, AuditTargets.Item, e.ItemId, details: AuditEntry.DetailsOf([.. details])));
        }
        await Task.WhenAll(entries.Select(entry => audit.RecordAsync(entry, ct)));
        return TypedResults.Ok(new ItemUsageRecorded(entries.Count, events.Count - entries.Count));
    }

    private static bool IsFieldPurpose(string field) => field.Length is >= 1 and <= 20 && field.All(ch => ch is (>= 'a' and <= 'z') or '_');
}
