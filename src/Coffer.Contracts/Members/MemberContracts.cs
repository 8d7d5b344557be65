namespace Coffer.Contracts.Members;

/// <summary>
/// <c>POST /api/v1/members/invitations</c> (Owners and Administrators): invites a person by email
/// (PROTOCOL.md §8). The server mails the link; the token never appears in an answer.
/// </summary>
/// <param name="Email">The invitee's address; becomes their sign-in handle.</param>
/// <param name="Name">The invitee's display name.</param>
/// <param name="BaseGroup"><c>team_members</c> or <c>guests</c>.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record InviteMemberRequest(
    [property: JsonRequired] string Email,
    [property: JsonRequired] string Name,
    [property: JsonRequired] string BaseGroup);

/// <summary>Answer to an invitation: the new member (state <c>invited</c>) and the invitation.</summary>
/// <param name="MemberId">The member id the server made (UUIDv7).</param>
/// <param name="InvitationId">The invitation id.</param>
/// <param name="ExpiresAt">Unix ms after which the link no longer works.</param>
public sealed record InvitationResponse(
    [property: JsonRequired] string MemberId,
    [property: JsonRequired] string InvitationId,
    [property: JsonRequired] long ExpiresAt);
