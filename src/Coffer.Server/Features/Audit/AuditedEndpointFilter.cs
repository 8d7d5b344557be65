using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Sessions;

namespace Coffer.Server.Features.Audit;

/// <summary>
/// Accounts for every call of an endpoint group (POLICY.md "Accounting": one event per read request,
/// every change): after the handler ran, records the endpoint's action, its vault or item target from
/// the route and whether it succeeded. Reads are queued (group commit, the answer does not wait);
/// changes are answered only once their event is stored.
/// </summary>
internal sealed class AuditedEndpointFilter(AuditLog audit, TimeProvider clock) : IEndpointFilter
{
    private static readonly Dictionary<string, (string Action, bool IsRead)> Actions = new(StringComparer.Ordinal)
    {
        ["Vaults_Create"] = ("vault.create", false),
        ["Vaults_List"] = ("vault.list", true),
        ["Vaults_Get"] = ("vault.read", true),
        ["Vaults_Rotate"] = ("vault.rotate", false),
        ["Vaults_ListGrants"] = ("vault.grant.list", true),
        ["Vaults_PutGrant"] = ("vault.grant.put", false),
        ["Vaults_ChangeGrant"] = ("vault.grant.change", false),
        ["Vaults_RemoveGrant"] = ("vault.grant.remove", false),
        ["Items_List"] = ("item.list", true),
        ["Items_Put"] = ("item.write", false),
        ["Items_Get"] = ("item.read", true),
        ["Items_History"] = ("item.history", true),
        ["Items_Archive"] = ("item.archive", false),
        ["Items_Trash"] = ("item.trash", false),
        ["Items_Restore"] = ("item.restore", false),
        ["Items_Delete"] = ("item.delete", false),
    };

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        object? result = await next(context);
        HttpContext http = context.HttpContext;
        string? name = http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
        if (name is null || !Actions.TryGetValue(name, out (string Action, bool IsRead) a) || http.Features.Get<CofferCaller>() is not { } caller)
        {
            return result;
        }
        // Handlers return Results<…> unions: the status and value are on the result inside.
        object? inner = result is INestedHttpResult nested ? nested.Result : result;
        int status = inner is IStatusCodeHttpResult { StatusCode: int code } ? code : http.Response.StatusCode;
        // A vault being created has its id in the answer, not the route.
        string? vaultId = RouteId(http, "vaultId") ?? (inner is IValueHttpResult { Value: Contracts.Vaults.VaultDto created } && Ids.IsValid(created.Id) ? created.Id : null);
        string? itemId = RouteId(http, "itemId");
        List<(string Key, object Value)> details = [];
        if (itemId is not null && vaultId is not null)
        {
            details.Add(("vaultId", vaultId));
        }
        // A grant change names whom it is about (sharing is an event of its own: POLICY.md "Accounting").
        if (http.Request.RouteValues.TryGetValue("principalKind", out object? kind) && kind is "member" or "group" && RouteId(http, "principalId") is { } principal)
        {
            details.Add(("principalKind", (string)kind));
            details.Add(("principalId", principal));
        }
        if (http.Items.TryGetValue(DetailsKey, out object? extra) && extra is List<(string Key, object Value)> added)
        {
            details.AddRange(added);
        }
        AuditEntry entry = AuditEntry.By(caller, clock.NowMs(), a.Action,
            itemId is not null ? AuditTargets.Item : vaultId is not null ? AuditTargets.Vault : null,
            itemId ?? vaultId,
            status is >= 200 and < 300 ? AuditOutcomes.Success : status >= 500 ? AuditOutcomes.Failure : AuditOutcomes.Refused,
            details.Count > 0 ? AuditEntry.DetailsOf([.. details]) : null);
        if (a.IsRead)
        {
            audit.Record(entry);
        }
        else
        {
            await audit.RecordAsync(entry, http.RequestAborted);
        }
        return result;
    }

    private const string DetailsKey = "coffer.audit.details";

    /// <summary>
    /// Adds a field to the event this filter records for the request (identifiers, names and numbers only: the details are
    /// hashed into the chain and readable by whoever may read the log).
    /// </summary>
    public static void AddDetail(HttpContext http, string key, object value)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!http.Items.TryGetValue(DetailsKey, out object? existing) || existing is not List<(string Key, object Value)> list)
        {
            http.Items[DetailsKey] = list = [];
        }
        list.Add((key, value));
    }

    private static string? RouteId(HttpContext http, string key) =>
        http.Request.RouteValues.TryGetValue(key, out object? value) && value is string s && Ids.IsValid(s) ? s : null;
}
