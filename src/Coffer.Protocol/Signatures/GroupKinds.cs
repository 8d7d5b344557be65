namespace Coffer.Protocol.Signatures;

/// <summary>The kinds of group a group certificate names (ARCHITECTURE.md data model; PROTOCOL.md §5.2, <c>group-cert</c>).</summary>
public static class GroupKinds
{
    /// <summary>The Owners group.</summary>
    public const string Owners = "owners";

    /// <summary>The Administrators group.</summary>
    public const string Administrators = "administrators";

    /// <summary>The Team Members base group.</summary>
    public const string TeamMembers = "team_members";

    /// <summary>The Guests base group.</summary>
    public const string Guests = "guests";

    /// <summary>The Provision Managers group.</summary>
    public const string ProvisionManagers = "provision_managers";

    /// <summary>The recovery group (PROTOCOL.md §10).</summary>
    public const string Recovery = "recovery";

    /// <summary>Any group an administrator creates.</summary>
    public const string Custom = "custom";
}
