using System.Data.Common;
using Coffer.Contracts.Members;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Errors;
using Coffer.Server.Features.Sessions;

namespace Coffer.Server.Common.Authorization;

/// <summary>
/// The permission matrix of POLICY.md ("Authorisation"): what each built-in group grants. Administrators get
/// <c>recover_accounts</c> only through the Recovery group ("if granted"); Provision Managers may manage members.
/// </summary>
internal static class BuiltInPermissions
{
    private static readonly string[] Administrators =
    [
        OrgPermissions.ManagePolicies, OrgPermissions.ManageSso, OrgPermissions.ManageScim, OrgPermissions.ManageGovernance,
        OrgPermissions.ManageMembers, OrgPermissions.ManageGroups, OrgPermissions.ViewActivityLog, OrgPermissions.CreateVaults,
    ];

    /// <summary>
    /// Permissions only administrators hold (POLICY.md): a session without a presented factor may not use them, whatever
    /// the policy's <c>require_mfa</c> (docs/adr/0022). <c>create_vaults</c> is every team member's.
    /// </summary>
    public static bool IsAdministrative(string permission) => permission != OrgPermissions.CreateVaults;

    /// <summary>The permissions a group of <paramref name="kind"/> grants; a custom group's are <paramref name="custom"/>.</summary>
    public static IEnumerable<string> Of(string kind, string custom) => kind switch
    {
        GroupKinds.Owners => OrgPermissions.All,
        GroupKinds.Administrators => Administrators,
        GroupKinds.TeamMembers => [OrgPermissions.CreateVaults],
        GroupKinds.ProvisionManagers => [OrgPermissions.ManageMembers],
        GroupKinds.Recovery => [OrgPermissions.RecoverAccounts],
        GroupKinds.Custom => custom.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        _ => [],
    };
}

/// <summary>A member's organisation permissions: the union over the groups they belong to.</summary>
internal sealed class PermissionStore(IDatabase database)
{
    public async Task<IReadOnlySet<string>> OfAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await OfAsync(c, null, memberId, ct);
    }

    public static async Task<IReadOnlySet<string>> OfAsync(DbConnection c, DbTransaction? tx, string memberId, CancellationToken ct)
    {
        IReadOnlyList<GroupRow> groups = await c.ListAsync<GroupRow>(tx, """
            SELECT g.kind AS Kind, g.permissions AS Permissions
            FROM group_memberships gm JOIN groups g ON g.id = gm.group_id JOIN members m ON m.id = gm.member_id
            WHERE gm.member_id = @memberId AND m.state = 'active'
            """, new { memberId }, ct);
        return groups.SelectMany(g => BuiltInPermissions.Of(g.Kind, g.Permissions)).ToHashSet(StringComparer.Ordinal);
    }

    public async Task<bool> HasAsync(string memberId, string permission, CancellationToken ct) =>
        (await OfAsync(memberId, ct)).Contains(permission);

    private sealed class GroupRow
    {
        public string Kind { get; set; } = "";

        public string Permissions { get; set; } = "";
    }
}

/// <summary>Refuses, with 403, a caller who lacks an organisation permission; applied per endpoint with <see cref="PermissionEndpointExtensions.RequirePermission"/>.</summary>
internal sealed class PermissionFilter(string permission) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        HttpContext http = context.HttpContext;
        PermissionStore store = http.RequestServices.GetRequiredService<PermissionStore>();
        CofferCaller caller = http.Caller();
        if (!await store.HasAsync(caller.MemberId, permission, http.RequestAborted))
        {
            return Problems.Of(CofferErrors.Forbidden, $"This needs the {permission} permission.");
        }
        if (BuiltInPermissions.IsAdministrative(permission) && !caller.MfaPresented)
        {
            return Problems.Of(CofferErrors.AdminMfaRequired,
                $"{permission} is an administrative permission, and this session has not presented a second factor. Enrol one (coffer mfa add-totp), sign in again and present it.");
        }
        return await next(context);
    }
}

internal static class PermissionEndpointExtensions
{
    /// <summary>Only callers holding <paramref name="permission"/> (POLICY.md) reach the endpoint; others get 403.</summary>
    public static RouteHandlerBuilder RequirePermission(this RouteHandlerBuilder builder, string permission) =>
        builder.AddEndpointFilter(new PermissionFilter(permission));
}
