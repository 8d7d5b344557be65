using Coffer.Contracts;
using Coffer.Contracts.Members;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;

namespace Coffer.Sdk.Members;

/// <summary>
/// Inviting a person (PROTOCOL.md §8; needs <c>manage_members</c>): the server makes the member (state <c>invited</c>)
/// and mails the link, whose token and organisation fingerprint travel only in its fragment; the token never appears
/// in an answer. The invitee accepts with <see cref="InvitationAcceptance"/>; an administrator then confirms them with
/// <see cref="MemberConfirmation"/>.
/// </summary>
public sealed class MemberInvitations
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;

    /// <summary>An invitation client for the administrator signed in as <paramref name="session"/>.</summary>
    public MemberInvitations(CofferSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    /// <summary>Invites <paramref name="email"/> into <paramref name="baseGroup"/> (<c>team_members</c> or <c>guests</c>).</summary>
    /// <exception cref="CofferApiException">403 without <c>manage_members</c>; 409 for an email that is already a member.</exception>
    public Task<InvitationResponse> InviteAsync(string email, string name, string baseGroup, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(baseGroup);
        return _session.SendAsync(HttpMethod.Post, "/api/v1/members/invitations", new InviteMemberRequest(email.Trim(), name.Trim(), baseGroup),
            Json.InviteMemberRequest, Json.InvitationResponse, cancellationToken);
    }
}
