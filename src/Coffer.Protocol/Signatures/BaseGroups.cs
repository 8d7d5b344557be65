namespace Coffer.Protocol.Signatures;

/// <summary>The base group a member certificate names: every member is in exactly one (PROTOCOL.md §5.2, <c>member-cert</c>).</summary>
public static class BaseGroups
{
    /// <summary>Team Members.</summary>
    public const string TeamMembers = "team_members";

    /// <summary>Guests.</summary>
    public const string Guests = "guests";
}
