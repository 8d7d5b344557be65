using Coffer.Contracts.Common;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Vaults;

namespace Coffer.Contracts.Groups;

/// <summary>A group as every confirmed member may see it (ARCHITECTURE.md "Group").</summary>
/// <param name="Id">Group id.</param>
/// <param name="Kind"><c>owners</c>, <c>administrators</c>, <c>team_members</c>, <c>guests</c>, <c>provision_managers</c>, <c>recovery</c> or <c>custom</c>.</param>
/// <param name="Name">Display name (not secret, not signed).</param>
/// <param name="Permissions">The organisation permissions membership grants (fixed for built-in groups).</param>
/// <param name="MemberCount">How many members hold a wrap of the group key.</param>
/// <param name="KeySerial">The current group keyset serial.</param>
/// <param name="MemberIds">The members, for callers with <c>manage_groups</c>; null for everyone else (always written).</param>
public sealed record GroupSummaryDto(
    string Id,
    string Kind,
    string Name,
    IReadOnlyList<string> Permissions,
    long MemberCount,
    long KeySerial,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyList<string>? MemberIds);

/// <summary><c>GET /api/v1/groups</c>: every group of the organisation.</summary>
/// <param name="Groups">Built-in groups first, then custom groups in the order they were made.</param>
public sealed record GroupListResponse(IReadOnlyList<GroupSummaryDto> Groups);

/// <summary>One certificate of a group's history with the signature of the serial before it (docs/adr/0010).</summary>
/// <param name="Certificate">The group certificate of one keyset serial, with its public keys.</param>
/// <param name="SuccessionSignature">The previous serial's group signing key over this certificate's <c>group-cert</c> record; null for serial 1 (always written).</param>
public sealed record GroupSuccessionDto(
    SubjectCertificateDto Certificate,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? SuccessionSignature);

/// <summary>A group's current key serial, for a wrap of its key to another group.</summary>
/// <param name="GroupId">Group id.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="KeySerial">Its current keyset serial.</param>
public sealed record GroupKeyRefDto(string GroupId, string Kind, long KeySerial);

/// <summary>
/// What a client with <c>manage_groups</c> needs to rotate a group's key (PROTOCOL.md §5 "From a group"): every
/// principal the new key must be wrapped to, every key that must be re-wrapped to it, and the certificates to
/// verify first.
/// </summary>
/// <param name="Members">The current certificate (with public keys) of every member.</param>
/// <param name="ManagerGroups">The current certificates of the groups that hold a wrap of this group's key (docs/adr/0006).</param>
/// <param name="ManagedGroups">The groups whose keys are wrapped to this group, at their current serials.</param>
/// <param name="VaultGrants">The vault grants held by this group (the vault key wrapped to the group key).</param>
/// <param name="Signers">The current certificates of those grants' signers.</param>
public sealed record GroupManagementDto(
    IReadOnlyList<SubjectCertificateDto> Members,
    IReadOnlyList<SubjectCertificateDto> ManagerGroups,
    IReadOnlyList<GroupKeyRefDto> ManagedGroups,
    IReadOnlyList<VaultGrantDto> VaultGrants,
    IReadOnlyList<SubjectCertificateDto> Signers);

/// <summary>
/// <c>GET /api/v1/groups/{id}</c>: the group, its current certificate with the public keys a client verifies and
/// wraps to, the issuer certificates it needs to verify every certificate here, the group's certificate history,
/// and (for <c>manage_groups</c>) what a rotation needs.
/// </summary>
/// <param name="Group">The group.</param>
/// <param name="Certificate">The current group certificate.</param>
/// <param name="Successions">Every serial's certificate, oldest first, with its succession signature.</param>
/// <param name="Issuers">Issuer certificates of every issuer that signed a certificate in this answer.</param>
/// <param name="Management">For callers with <c>manage_groups</c>; null otherwise (always written).</param>
public sealed record GroupDetailResponse(
    GroupSummaryDto Group,
    SubjectCertificateDto Certificate,
    IReadOnlyList<GroupSuccessionDto> Successions,
    IReadOnlyList<IssuerCertificateDto> Issuers,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] GroupManagementDto? Management);

/// <summary>
/// <c>POST /api/v1/groups</c> (<c>manage_groups</c>): a custom group, made on the caller's client. The caller's
/// issuer key certifies the keyset; the group key is wrapped, signed by the caller, to the Owners and the
/// Administrators groups (docs/adr/0006) and to nobody else: members are added afterwards.
/// </summary>
/// <param name="GroupId">The new group's id (client-made UUIDv7).</param>
/// <param name="Name">Display name, 1 to 200 characters.</param>
/// <param name="Permissions">Organisation permissions, a subset of those the caller holds.</param>
/// <param name="Keyset">The group keyset, serial 1: public keys and private keys sealed under the group key (no sealed symmetric key).</param>
/// <param name="Certificate">The group certificate (kind <c>group</c>, role <c>custom</c>), signed by the caller's issuer key.</param>
/// <param name="ManagerWraps">The group key wrapped to the Owners and to the Administrators group, each signed by the caller.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateGroupRequest(
    [property: JsonRequired] string GroupId,
    [property: JsonRequired] string Name,
    [property: JsonRequired] IReadOnlyList<string> Permissions,
    [property: JsonRequired] KeysetDto Keyset,
    [property: JsonRequired] SubjectCertificateDto Certificate,
    [property: JsonRequired] IReadOnlyList<SignedWrapDto> ManagerWraps);

/// <summary><c>PUT /api/v1/groups/{id}</c> (<c>manage_groups</c>): a custom group's name and permissions.</summary>
/// <param name="Name">Display name, 1 to 200 characters.</param>
/// <param name="Permissions">Organisation permissions; any added must be held by the caller.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UpdateGroupRequest(
    [property: JsonRequired] string Name,
    [property: JsonRequired] IReadOnlyList<string> Permissions);

/// <summary>
/// <c>POST /api/v1/groups/{id}/members</c> (<c>manage_groups</c>): the group's current key wrapped to an active
/// member's certified encryption key, signed by the caller.
/// </summary>
/// <param name="Wrap">The signed wrap (object kind <c>group</c>, recipient kind <c>member</c>).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AddGroupMemberRequest([property: JsonRequired] SignedWrapDto Wrap);

/// <summary>
/// <c>POST /api/v1/groups/{id}/rotate</c> (<c>manage_groups</c>): removes members by rotating the group key, in one
/// transaction (PROTOCOL.md §5 "From a group"). Every set must be complete; anything less changes nothing.
/// </summary>
/// <param name="ExpectedKeySerial">The current key serial the client read; another one is a 409.</param>
/// <param name="RemovedMemberIds">The members leaving (at least one, each a current member).</param>
/// <param name="Keyset">The new group keyset: the same keyset id, serial + 1.</param>
/// <param name="Certificate">Its certificate, signed by the caller's issuer key.</param>
/// <param name="SuccessionSignature">The old group signing key's signature over the new certificate's <c>group-cert</c> record (docs/adr/0010).</param>
/// <param name="MemberWraps">The new key wrapped to every remaining member.</param>
/// <param name="ManagerWraps">The new key wrapped to every group that held the old one.</param>
/// <param name="ManagedWraps">The key of every group wrapped to this group, re-wrapped to the new group key.</param>
/// <param name="VaultGrants">Every vault key granted to this group, re-wrapped to the new group key.</param>
/// <param name="SealedRootKey">For the Owners group: the root key re-sealed under the new keyset (docs/adr/0006); otherwise null (always written).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RotateGroupRequest(
    [property: JsonRequired] long ExpectedKeySerial,
    [property: JsonRequired] IReadOnlyList<string> RemovedMemberIds,
    [property: JsonRequired] KeysetDto Keyset,
    [property: JsonRequired] SubjectCertificateDto Certificate,
    [property: JsonRequired] string SuccessionSignature,
    [property: JsonRequired] IReadOnlyList<SignedWrapDto> MemberWraps,
    [property: JsonRequired] IReadOnlyList<SignedWrapDto> ManagerWraps,
    [property: JsonRequired] IReadOnlyList<SignedWrapDto> ManagedWraps,
    [property: JsonRequired] IReadOnlyList<SignedWrapDto> VaultGrants,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] EnvelopeDto? SealedRootKey);
