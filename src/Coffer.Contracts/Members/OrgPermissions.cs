namespace Coffer.Contracts.Members;

/// <summary>
/// The organisation permissions of POLICY.md ("Authorisation"). Built-in groups carry fixed sets; a custom group
/// carries any subset; a member's rights are the union of their groups' rights.
/// </summary>
public static class OrgPermissions
{
    /// <summary>Change the organisation's policies.</summary>
    public const string ManagePolicies = "manage_policies";

    /// <summary>Configure single sign-on.</summary>
    public const string ManageSso = "manage_sso";

    /// <summary>Configure SCIM provisioning.</summary>
    public const string ManageScim = "manage_scim";

    /// <summary>Manage account governance (app reports, managed credentials).</summary>
    public const string ManageGovernance = "manage_governance";

    /// <summary>Invite, confirm, suspend, reactivate and remove members; deauthorise their devices.</summary>
    public const string ManageMembers = "manage_members";

    /// <summary>Create groups and change their membership.</summary>
    public const string ManageGroups = "manage_groups";

    /// <summary>Recover members who lost their secrets (PROTOCOL.md §10).</summary>
    public const string RecoverAccounts = "recover_accounts";

    /// <summary>Read and export the activity log, and countersign its checkpoints.</summary>
    public const string ViewActivityLog = "view_activity_log";

    /// <summary>Create shared vaults.</summary>
    public const string CreateVaults = "create_vaults";

    /// <summary>Every organisation permission, in the order POLICY.md lists them.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        ManagePolicies, ManageSso, ManageScim, ManageGovernance, ManageMembers, ManageGroups, RecoverAccounts, ViewActivityLog, CreateVaults,
    ];
}
