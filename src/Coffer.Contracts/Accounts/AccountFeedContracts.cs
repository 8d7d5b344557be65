namespace Coffer.Contracts.Accounts;

/// <summary>
/// Kinds of change on the account feed (<c>GET /api/v1/account/feed</c>, PROTOCOL.md §9, docs/adr/0014). Each names what
/// to fetch again through the existing endpoints; the feed itself carries no content. A client ignores kinds it does not
/// know (new ones may be added, such as policies).
/// </summary>
public static class AccountChangeKinds
{
    /// <summary>A vault grant reached you (directly, or through a group you are a member of): a vault created, shared, its permissions changed. Subject: the vault; version: its content version.</summary>
    public const string VaultGrant = "vault-grant";

    /// <summary>A vault grant that reached you was taken away (unshared, you left the group it went through, you were removed). Subject: the vault; version: its content version, or 0 when unknown.</summary>
    public const string VaultGrantRemoved = "vault-grant-removed";

    /// <summary>A vault you hold a grant to got a new key. Subject: the vault; version: the new key serial.</summary>
    public const string VaultKey = "vault-key";

    /// <summary>You were given a group's key (confirmation, added to a group). Subject: the group; version: its key serial.</summary>
    public const string GroupJoined = "group-joined";

    /// <summary>You were taken out of a group (removed with a rotation, or removed from the organisation). Subject: the group; version: its key serial after the change.</summary>
    public const string GroupLeft = "group-left";

    /// <summary>A custom or built-in group you are a member of changed: its members, name or permissions. Subject: the group; version: its key serial.</summary>
    public const string GroupChanged = "group-changed";

    /// <summary>A group whose key you hold (as a member, or through a group that manages it) was rotated. Subject: the group; version: the new key serial.</summary>
    public const string GroupKey = "group-key";

    /// <summary>For everyone: a member certificate was issued. Subject: the member; version: the certified keyset serial.</summary>
    public const string MemberCertificate = "member-certificate";

    /// <summary>For everyone: a group certificate was issued (a new group, or a rotation). Subject: the group; version: the certified keyset serial.</summary>
    public const string GroupCertificate = "group-certificate";

    /// <summary>For everyone: an issuer certificate was issued. Subject: the issuer; version: its issued-at time (Unix ms).</summary>
    public const string IssuerCertificate = "issuer-certificate";

    /// <summary>For everyone: a new signed revocation list. Subject: the organisation; version: the list version.</summary>
    public const string RevocationList = "revocation-list";
}

/// <summary>One change on the account feed: what changed and the version or serial it reached (nothing secret, no content).</summary>
/// <param name="Seq">Its position on the feed.</param>
/// <param name="Kind">One of <see cref="AccountChangeKinds"/> (or a newer kind the client ignores).</param>
/// <param name="SubjectId">What changed: a vault, group, member or issuer id, or the organisation id.</param>
/// <param name="Version">The version or serial it reached (see the kind).</param>
/// <param name="CreatedAt">When it changed (Unix ms).</param>
public sealed record AccountChangeDto(long Seq, string Kind, string SubjectId, long Version, long CreatedAt);

/// <summary>
/// <c>GET /api/v1/account/feed?since=&amp;limit=</c>: the changes relevant to the caller after <c>since</c>, in feed order.
/// </summary>
/// <param name="Changes">The changes, oldest first.</param>
/// <param name="NextSince">The cursor for the next call (past changes meant for others, too).</param>
/// <param name="HasMore">Whether another page follows at once.</param>
public sealed record AccountFeedResponse(IReadOnlyList<AccountChangeDto> Changes, long NextSince, bool HasMore);
