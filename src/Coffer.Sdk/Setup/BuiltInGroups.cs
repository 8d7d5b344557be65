using Coffer.Protocol.Signatures;

namespace Coffer.Sdk.Setup;

/// <summary>
/// The built-in groups made at setup (ARCHITECTURE.md data model, POLICY.md authorisation) and
/// which other groups hold a wrap of each one's key (docs/adr/0006): Owners hold every group;
/// Administrators hold the two base groups, whose members they confirm.
/// </summary>
internal static class BuiltInGroups
{
    public static IReadOnlyList<BuiltInGroup> All { get; } =
    [
        new(GroupKinds.Owners, "Owners", []),
        new(GroupKinds.Administrators, "Administrators", [GroupKinds.Owners]),
        new(GroupKinds.TeamMembers, "Team Members", [GroupKinds.Owners, GroupKinds.Administrators]),
        new(GroupKinds.Guests, "Guests", [GroupKinds.Owners, GroupKinds.Administrators]),
        // Not to Administrators: the recovery group holds every vault key, personal vaults included,
        // and POLICY.md gives recover_accounts only to administrators it is granted to, one by one.
        new(GroupKinds.Recovery, "Recovery", [GroupKinds.Owners]),
    ];
}

/// <summary>A built-in group.</summary>
/// <param name="Kind">Its kind (<see cref="GroupKinds"/>).</param>
/// <param name="Name">Its display name.</param>
/// <param name="ManagedBy">The kinds of the groups that hold a wrap of its key.</param>
internal sealed record BuiltInGroup(string Kind, string Name, IReadOnlyList<string> ManagedBy);
