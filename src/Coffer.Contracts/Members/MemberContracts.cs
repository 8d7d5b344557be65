using Coffer.Contracts.Auth;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Vaults;

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

/// <summary>
/// <c>POST /api/v1/invitations/lookup</c> (anonymous): what the invitee's client needs before it makes keys.
/// The token comes from the link's fragment and travels only in a body.
/// </summary>
/// <param name="Token">The invitation token, base64url (32 bytes).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record InvitationLookupRequest([property: JsonRequired] string Token);

/// <summary>The invitation as the invitee's client sees it; the client checks <paramref name="Root"/> against the fingerprint from the link.</summary>
/// <param name="MemberId">The invitee's member id (2SKD and SRP need it).</param>
/// <param name="Email">The invitee's email, their sign-in handle.</param>
/// <param name="Name">The invitee's display name.</param>
/// <param name="OrgId">The organisation id.</param>
/// <param name="OrganisationName">The organisation's display name (for the Emergency Kit).</param>
/// <param name="AccountId">The organisation's account id (the first part of every Secret Key).</param>
/// <param name="BaseGroup"><c>team_members</c> or <c>guests</c>.</param>
/// <param name="ExpiresAt">Unix ms after which the invitation no longer works.</param>
/// <param name="Root">The organisation root and its self-signed record.</param>
/// <param name="MinPasswordLength">
/// The organisation policy's shortest account password (<c>minPasswordLength</c>); clients never accept less than their own
/// floor of 14 whatever this says, since the policy is not signed.
/// </param>
public sealed record InvitationLookupResponse(
    [property: JsonRequired] string MemberId,
    [property: JsonRequired] string Email,
    [property: JsonRequired] string Name,
    [property: JsonRequired] string OrgId,
    [property: JsonRequired] string OrganisationName,
    [property: JsonRequired] string AccountId,
    [property: JsonRequired] string BaseGroup,
    [property: JsonRequired] long ExpiresAt,
    [property: JsonRequired] OrganisationRootDto Root,
    [property: JsonRequired] int MinPasswordLength);

/// <summary>
/// <c>POST /api/v1/invitations/accept</c> (anonymous, the token authorises): the invitee's 2SKD parameters,
/// SRP verifier and keyset sealed by their AUK, and (unless a guest) their personal vault. The member becomes
/// <c>pending_confirmation</c>; the token dies.
/// </summary>
/// <param name="Token">The invitation token, base64url.</param>
/// <param name="Kdf">2SKD parameters.</param>
/// <param name="Verifier">SRP verifier v, 512 bytes, base64url.</param>
/// <param name="Keyset">The new member's keyset, its symmetric key sealed by the AUK.</param>
/// <param name="PersonalVault">
/// The member's personal vault (kind <c>personal</c>, key serial 1, attributes sealed, the key wrapped to the new keyset and
/// signed by its signing key: docs/adr/0011); required unless the invitation names Guests, refused if it does. Always
/// written, as null for a guest.
/// </param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record InvitationAcceptRequest(
    [property: JsonRequired] string Token,
    [property: JsonRequired] KdfDto Kdf,
    [property: JsonRequired] string Verifier,
    [property: JsonRequired] KeysetDto Keyset,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] CreateVaultRequest? PersonalVault);

/// <summary>Answer to an accepted invitation.</summary>
/// <param name="MemberId">The member, now <c>pending_confirmation</c>.</param>
/// <param name="State">The member's state.</param>
public sealed record InvitationAcceptResponse(
    [property: JsonRequired] string MemberId,
    [property: JsonRequired] string State);

/// <summary>
/// <c>GET /api/v1/members/{id}/keys</c> (Owners and Administrators): a pending member's public keys, for the
/// confirming client to fingerprint, compare (SAS) and certify.
/// </summary>
/// <param name="MemberId">The member.</param>
/// <param name="Email">Their email.</param>
/// <param name="Name">Their display name.</param>
/// <param name="State">Their state (<c>pending_confirmation</c> until confirmed).</param>
/// <param name="BaseGroup">The group the invitation named.</param>
/// <param name="KeysetId">Their keyset id.</param>
/// <param name="KeysetSerial">Their keyset serial.</param>
/// <param name="EncryptionPublicKey">RSA SPKI, base64url.</param>
/// <param name="SigningPublicKey">ECDSA P-256 SPKI, base64url.</param>
public sealed record PendingMemberKeysResponse(
    [property: JsonRequired] string MemberId,
    [property: JsonRequired] string Email,
    [property: JsonRequired] string Name,
    [property: JsonRequired] string State,
    [property: JsonRequired] string BaseGroup,
    [property: JsonRequired] string KeysetId,
    [property: JsonRequired] long KeysetSerial,
    [property: JsonRequired] string EncryptionPublicKey,
    [property: JsonRequired] string SigningPublicKey);

/// <summary>
/// <c>POST /api/v1/members/{id}/confirm</c> (Owners and Administrators): the member certificate, signed by the
/// caller's issuer key, and signed wraps of group keys to the member (at least the invitation's base group).
/// </summary>
/// <param name="Certificate">The member certificate.</param>
/// <param name="Wraps">Group keys wrapped to the member, each signed by the caller.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ConfirmMemberRequest(
    [property: JsonRequired] SubjectCertificateDto Certificate,
    [property: JsonRequired] IReadOnlyList<SignedWrapDto> Wraps);

/// <summary>A group a member belongs to, as the directory shows it.</summary>
/// <param name="Id">The group id.</param>
/// <param name="Kind">Its kind: <c>owners</c>, <c>administrators</c>, <c>team_members</c>, <c>guests</c>, <c>provision_managers</c>,
/// <c>recovery</c> or <c>custom</c>.</param>
/// <param name="Name">Its display name.</param>
public sealed record MemberGroupDto(
    [property: JsonRequired] string Id,
    [property: JsonRequired] string Kind,
    [property: JsonRequired] string Name);

/// <summary>
/// One member in the directory (<c>GET /api/v1/members</c>, <c>GET /api/v1/members/{id}</c>). Members with
/// <c>manage_members</c> see every member who has not been removed; everyone else sees only active members.
/// </summary>
/// <param name="Id">The member id.</param>
/// <param name="Name">Their display name.</param>
/// <param name="Email">Their email, their sign-in handle.</param>
/// <param name="State"><c>invited</c>, <c>pending_confirmation</c>, <c>active</c>, <c>suspended</c> or <c>recovery_pending</c>;
/// <c>removed</c> only in the answer to a removal.</param>
/// <param name="BaseGroup"><c>team_members</c> or <c>guests</c> (for members not yet confirmed: the invitation's).</param>
/// <param name="Groups">Every group they belong to, built-in and custom.</param>
/// <param name="CreatedAt">Unix ms of the invitation (or of setup, for the first Owner).</param>
public sealed record MemberDto(
    [property: JsonRequired] string Id,
    [property: JsonRequired] string Name,
    [property: JsonRequired] string Email,
    [property: JsonRequired] string State,
    [property: JsonRequired] string BaseGroup,
    [property: JsonRequired] IReadOnlyList<MemberGroupDto> Groups,
    [property: JsonRequired] long CreatedAt);

/// <summary>A page of the directory, in member id order (oldest first); ask for the next with <c>after</c> = the last id.</summary>
/// <param name="Members">The members.</param>
/// <param name="More">True when members after the last one exist.</param>
public sealed record MemberListResponse(
    [property: JsonRequired] IReadOnlyList<MemberDto> Members,
    [property: JsonRequired] bool More);

/// <summary>
/// A shared vault a member could read (POLICY.md "Leaving"): its key and the keys of its items are what to rotate.
/// Only ids: the server cannot read names; the client decrypts them.
/// </summary>
/// <param name="VaultId">The vault.</param>
/// <param name="KeySerial">The vault key serial the member could unwrap.</param>
/// <param name="Direct">True when the member held a grant of their own.</param>
/// <param name="ThroughGroups">The groups (of theirs, or managed by theirs) whose grant let them read it.</param>
/// <param name="ItemIds">Every item in the vault now (archived and trashed ones included).</param>
public sealed record ReadableVaultDto(
    [property: JsonRequired] string VaultId,
    [property: JsonRequired] long KeySerial,
    [property: JsonRequired] bool Direct,
    [property: JsonRequired] IReadOnlyList<string> ThroughGroups,
    [property: JsonRequired] IReadOnlyList<string> ItemIds);

/// <summary>
/// Answer to <c>POST /api/v1/members/{id}/suspend</c> and <c>DELETE /api/v1/members/{id}</c> (<c>manage_members</c>): the member
/// as they are now and what they could read until then, for rotation. The server rotates nothing itself.
/// </summary>
/// <param name="Member">The member after the change (state <c>suspended</c> or <c>removed</c>).</param>
/// <param name="SessionsEnded">How many live sessions were ended.</param>
/// <param name="Vaults">The shared vaults they could read, directly or through a group, with their items.</param>
/// <param name="Groups">The groups whose key they held (their own and those their groups manage): rotate these keys
/// when the member is removed.</param>
public sealed record MemberLifecycleResponse(
    [property: JsonRequired] MemberDto Member,
    [property: JsonRequired] int SessionsEnded,
    [property: JsonRequired] IReadOnlyList<ReadableVaultDto> Vaults,
    [property: JsonRequired] IReadOnlyList<string> Groups);

/// <summary>
/// The answer to <c>POST /api/v1/members/{id}/unlock</c> (<c>manage_members</c>): the member's account is no longer locked for
/// unknown devices and the failures counted against it are gone (POLICY.md "Brute force").
/// </summary>
/// <param name="Member">The member.</param>
/// <param name="WasLocked">True when a lock was running (false: only failures, if any, were cleared).</param>
/// <param name="FailuresCleared">How many failures counted against the account were cleared.</param>
public sealed record MemberUnlockResponse(
    [property: JsonRequired] MemberDto Member,
    [property: JsonRequired] bool WasLocked,
    [property: JsonRequired] int FailuresCleared);
