using System.Text.Json;
using System.Text.Json.Serialization;
using Coffer.Cli.State;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Devices;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Members;
using Coffer.Contracts.Sessions;

namespace Coffer.Cli.Agent;

// The agent protocol (docs/adr/0018-cli-agent.md): one request and one reply per connection, each a frame of a
// 4-byte big-endian length and that many bytes of UTF-8 JSON. A request names its operation in "op"; a later slice
// adds items, vaults and sharing as new operations without touching these.

/// <summary>A request to the agent. Secrets (password, Secret Key) travel only inside these, over the 0600 socket.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(StatusRequest), "status")]
[JsonDerivedType(typeof(SetupOrganisationRequest), "setup")]
[JsonDerivedType(typeof(AcceptInvitationRequest), "accept")]
[JsonDerivedType(typeof(SignInRequest), "signin")]
[JsonDerivedType(typeof(UnlockRequest), "unlock")]
[JsonDerivedType(typeof(LockRequest), "lock")]
[JsonDerivedType(typeof(SignOutRequest), "signout")]
[JsonDerivedType(typeof(WhoAmIRequest), "whoami")]
[JsonDerivedType(typeof(SessionListRequest), "session.list")]
[JsonDerivedType(typeof(SessionEndRequest), "session.end")]
[JsonDerivedType(typeof(DeviceListRequest), "device.list")]
[JsonDerivedType(typeof(DeviceRevokeRequest), "device.revoke")]
[JsonDerivedType(typeof(MemberListRequest), "member.list")]
[JsonDerivedType(typeof(MemberInviteRequest), "member.invite")]
[JsonDerivedType(typeof(ChangePasswordRequest), "account.change-password")]
[JsonDerivedType(typeof(RegenerateSecretKeyRequest), "account.regenerate-secret-key")]
[JsonDerivedType(typeof(ChangeEmailRequest), "account.change-email")]
[JsonDerivedType(typeof(ConfirmEmailRequest), "account.confirm-email")]
[JsonDerivedType(typeof(MemberPendingRequest), "member.pending")]
[JsonDerivedType(typeof(MemberConfirmRequest), "member.confirm")]
[JsonDerivedType(typeof(MemberLifecycleRequest), "member.lifecycle")]
[JsonDerivedType(typeof(GroupListRequest), "group.list")]
[JsonDerivedType(typeof(GroupCreateRequest), "group.create")]
[JsonDerivedType(typeof(GroupMembersRequest), "group.members")]
[JsonDerivedType(typeof(AuditTailRequest), "audit.tail")]
[JsonDerivedType(typeof(AuditExportRequest), "audit.export")]
[JsonDerivedType(typeof(AuditVerifyRequest), "audit.verify")]
[JsonDerivedType(typeof(AuditCountersignNowRequest), "audit.countersign")]
[JsonDerivedType(typeof(AuditKeyRequest), "audit.key")]
[JsonDerivedType(typeof(AuditCertifyKeyRequest), "audit.certify-key")]
[JsonDerivedType(typeof(ItemsRequest), "items")]
[JsonDerivedType(typeof(MfaListRequest), "mfa.list")]
[JsonDerivedType(typeof(MfaAddTotpRequest), "mfa.add-totp")]
[JsonDerivedType(typeof(MfaAddSecurityKeyRequest), "mfa.add-security-key")]
[JsonDerivedType(typeof(MfaRemoveRequest), "mfa.remove")]
[JsonDerivedType(typeof(MfaBackupCodesRequest), "mfa.backup-codes")]
[JsonDerivedType(typeof(PolicyShowRequest), "policy.show")]
[JsonDerivedType(typeof(PolicySetRequest), "policy.set")]
internal abstract record AgentRequest;

/// <summary>A request about one unlocked account (its member id).</summary>
internal abstract record AccountRequest(string Account) : AgentRequest;

internal sealed record StatusRequest : AgentRequest;

internal sealed record MfaListRequest(string Account) : AccountRequest(Account);

internal sealed record MfaAddTotpRequest(string Account, string Name) : AccountRequest(Account);

internal sealed record MfaAddSecurityKeyRequest(string Account, string Name) : AccountRequest(Account);

internal sealed record MfaRemoveRequest(string Account, string FactorId) : AccountRequest(Account);

internal sealed record MfaBackupCodesRequest(string Account) : AccountRequest(Account);

internal sealed record PolicyShowRequest(string Account) : AccountRequest(Account);

/// <summary>Settings to change, by their JSON name (<c>requireMfa</c>, <c>webSigning</c>, …), as typed.</summary>
internal sealed record PolicySetRequest(string Account, IReadOnlyDictionary<string, string> Changes) : AccountRequest(Account);

/// <summary>A factor added: its id, and backup codes when none were left (also shown when they were made).</summary>
internal sealed record MfaAddResult(string FactorId, string Name, int BackupCodesLeft);

/// <summary>The policy as this device verified it (key settings: root-signed, or the defaults).</summary>
internal sealed record PolicyResult(long Version, Coffer.Contracts.Policies.PolicySettingsDto Settings,
    Coffer.Contracts.Policies.KeyPolicySettingsDto KeySettings, long KeySettingsVersion);

internal sealed record SetupOrganisationRequest(string ServerUrl, string Token, string OrganisationName, string OwnerName, string Email,
    string Password, string? Shorthand, string? KitPath, ServerTrustSettings? Tls) : AgentRequest;

internal sealed record AcceptInvitationRequest(string Link, string Password, string? Shorthand, string? KitPath, ServerTrustSettings? Tls) : AgentRequest;

internal sealed record SignInRequest(string ServerUrl, string Email, string SecretKey, string Password, string OrganisationFingerprint,
    string? Shorthand, ServerTrustSettings? Tls) : AgentRequest;

internal sealed record UnlockRequest(string Account, string Password, bool AcceptRestore = false) : AccountRequest(Account);

internal sealed record LockRequest : AgentRequest;

internal sealed record SignOutRequest(string Account, bool Forget) : AccountRequest(Account);

internal sealed record WhoAmIRequest(string Account) : AccountRequest(Account);

internal sealed record SessionListRequest(string Account) : AccountRequest(Account);

internal sealed record SessionEndRequest(string Account, string SessionId) : AccountRequest(Account);

internal sealed record DeviceListRequest(string Account, string? MemberId) : AccountRequest(Account);

internal sealed record DeviceRevokeRequest(string Account, string DeviceId) : AccountRequest(Account);

internal sealed record MemberListRequest(string Account) : AccountRequest(Account);

internal sealed record MemberInviteRequest(string Account, string Email, string Name, string BaseGroup) : AccountRequest(Account);

internal sealed record ChangePasswordRequest(string Account, string CurrentPassword, string NewPassword, string? KitPath) : AccountRequest(Account);

internal sealed record RegenerateSecretKeyRequest(string Account, string Password, string? KitPath) : AccountRequest(Account);

internal sealed record ChangeEmailRequest(string Account, string NewEmail) : AccountRequest(Account);

internal sealed record ConfirmEmailRequest(string Account, string Token, string? KitPath) : AccountRequest(Account);

/// <summary>A member waiting for confirmation, by email or member id: their keys' fingerprints and the SAS, to show before confirming.</summary>
internal sealed record MemberPendingRequest(string Account, string Member) : AccountRequest(Account);

/// <summary>Confirms exactly the keys that were shown (their fingerprints); <paramref name="Administrator"/> also gives the Administrators group key.</summary>
internal sealed record MemberConfirmRequest(string Account, string MemberId, string EncryptionFingerprint, string SigningFingerprint, bool Administrator)
    : AccountRequest(Account);

/// <summary><paramref name="Action"/>: suspend, reactivate, unlock or remove.</summary>
internal sealed record MemberLifecycleRequest(string Account, string Member, string Action) : AccountRequest(Account);

internal sealed record GroupListRequest(string Account) : AccountRequest(Account);

internal sealed record GroupCreateRequest(string Account, string Name, IReadOnlyList<string> Permissions) : AccountRequest(Account);

/// <summary>Adds members to a group, or removes them (which rotates the group's key).</summary>
internal sealed record GroupMembersRequest(string Account, string Group, IReadOnlyList<string> Members, bool Remove) : AccountRequest(Account);

/// <summary>The newest <paramref name="Limit"/> events, or with <paramref name="After"/> every event after that seq (at most 5000).</summary>
internal sealed record AuditTailRequest(string Account, int Limit, long? After) : AccountRequest(Account);

internal sealed record AuditExportRequest(string Account, long After) : AccountRequest(Account);

internal sealed record AuditVerifyRequest(string Account) : AccountRequest(Account);

internal sealed record AuditCountersignNowRequest(string Account) : AccountRequest(Account);

internal sealed record AuditKeyRequest(string Account) : AccountRequest(Account);

/// <summary>Certifies the server's audit key only if it is still the one whose fingerprint was shown.</summary>
internal sealed record AuditCertifyKeyRequest(string Account, string Fingerprint) : AccountRequest(Account);

/// <summary>The agent's answer: a result (its type depends on the request) or a failure.</summary>
internal sealed record AgentReply(bool Ok, JsonElement? Result = null, AgentFailure? Error = null, AgentPrompt? Prompt = null);

/// <summary>
/// Mid-request, the agent asks the person something through the CLI (docs/adr/0022): a reply frame with a prompt, which the
/// CLI answers with one <see cref="AgentAnswer"/> frame on the same connection before the request's real reply comes.
/// </summary>
/// <param name="Kind"><see cref="PromptKinds"/>.</param>
/// <param name="Methods">For a code: the kinds the member may present.</param>
/// <param name="Uri">For an enrolment: the <c>otpauth://</c> URI to show (it holds the secret; shown, never stored).</param>
/// <param name="BackupCodes">To show once.</param>
/// <param name="Action">For a step-up: the action being confirmed (<c>StepUpActions</c>).</param>
internal sealed record AgentPrompt(string Kind, IReadOnlyList<string>? Methods = null, string? Uri = null, IReadOnlyList<string>? BackupCodes = null,
    string? Action = null);

/// <summary>The CLI's answer to a prompt: the code typed (null when there is none to give, or for a notice).</summary>
internal sealed record AgentAnswer(string? Code);

internal static class PromptKinds
{
    public const string MfaCode = "mfa.code";
    public const string MfaEnrol = "mfa.enrol";
    public const string BackupCodes = "mfa.backup-codes";

    /// <summary>A privileged action needs a fresh factor (docs/adr/0024); <see cref="AgentPrompt.Action"/> names it.</summary>
    public const string StepUp = "mfa.step-up";

    /// <summary>
    /// A security-key ceremony is waiting (docs/adr/0026): <see cref="AgentPrompt.Uri"/> is the server's page with the agent's
    /// one-time loopback address; the CLI shows it, opens a browser when it can, and acknowledges at once.
    /// </summary>
    public const string SecurityKey = "mfa.security-key";
}

/// <summary>Why a request failed: the exit code, a one-line message, and the server's problem as received.</summary>
internal sealed record AgentFailure(int ExitCode, string Message, ProblemDto? Problem = null);

internal sealed record StatusResult(int ProcessId, long IdleTimeoutSeconds, IReadOnlyList<string> UnlockedAccounts);

/// <summary>An account as the commands show it.</summary>
internal sealed record AccountResult(string Account, string MemberId, string Email, string OrgId, string ServerUrl, string OrganisationFingerprint,
    string DeviceId, IReadOnlyList<string>? Warnings = null, bool? Offline = null);

internal sealed record SetupResult(AccountResult Account, string EmergencyKit, string? AuditKeyFingerprint = null);

internal sealed record AcceptResult(AccountResult Account, string EmergencyKit, string BaseGroup, bool Unlocked, IReadOnlyList<string>? ShortAuthenticationString = null);

internal sealed record WhoAmIResult(string Account, string Email, string Name, string MemberId, string OrgId, string Role, string State,
    IReadOnlyList<string> Groups, string ServerUrl, string DeviceId, string SessionId, string OrganisationFingerprint,
    string? EncryptionFingerprint = null, string? SigningFingerprint = null, IReadOnlyList<string>? ShortAuthenticationString = null);

/// <summary>A password or Secret Key change, or a confirmed email change: what changed and where the new Emergency Kit is.</summary>
internal sealed record CredentialResult(string Account, string Kind, string Email, int EndedSessions, string EmergencyKit, string? SecretKeyFile = null);

internal sealed record EmailChangeResult(string Account, string NewEmail, long ExpiresAt);

internal sealed record PendingMemberResult(string MemberId, string Email, string Name, string BaseGroup, string State, string EncryptionFingerprint,
    string SigningFingerprint, IReadOnlyList<string> ShortAuthenticationString, bool Confirmed = false, bool Administrator = false);

internal sealed record GroupResult(string GroupId, string Name, IReadOnlyList<string> Members, bool Rotated = false);

internal sealed record CountersignResult(long Seq, string ChainHash, long Time, string AuditKeyFingerprint, long CountersignedAt);

internal sealed record AuditKeyResult(string Fingerprint, bool Certified, long? CertifiedAt, bool CertifiedNow = false);

internal sealed record AuditVerifyResult(bool Valid, int Events, long FirstSeq, long HeadSeq, bool FromGenesis, string ChainFault, long? FirstBadSeq,
    long? CheckpointSeq, string? CheckpointAuditKey, string? CheckpointProblem, bool CheckpointFailed, IReadOnlyList<string> CheckpointCountersignedBy,
    long? LastCountersignedSeq);

internal sealed record SignOutResult(string Account, bool Forgotten);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(AgentRequest))]
[JsonSerializable(typeof(AgentReply))]
[JsonSerializable(typeof(AgentAnswer))]
[JsonSerializable(typeof(Coffer.Contracts.Mfa.MfaFactorsResponse))]
[JsonSerializable(typeof(Coffer.Contracts.Mfa.BackupCodesResponse))]
[JsonSerializable(typeof(MfaAddResult))]
[JsonSerializable(typeof(PolicyResult))]
[JsonSerializable(typeof(PolicySetRequest))]
[JsonSerializable(typeof(StatusResult))]
[JsonSerializable(typeof(AccountResult))]
[JsonSerializable(typeof(SetupResult))]
[JsonSerializable(typeof(AcceptResult))]
[JsonSerializable(typeof(WhoAmIResult))]
[JsonSerializable(typeof(SignOutResult))]
[JsonSerializable(typeof(IReadOnlyList<SessionDto>))]
[JsonSerializable(typeof(IReadOnlyList<DeviceDto>))]
[JsonSerializable(typeof(IReadOnlyList<MemberDto>))]
[JsonSerializable(typeof(InvitationResponse))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(CredentialResult))]
[JsonSerializable(typeof(EmailChangeResult))]
[JsonSerializable(typeof(PendingMemberResult))]
[JsonSerializable(typeof(MemberLifecycleResponse))]
[JsonSerializable(typeof(MemberUnlockResponse))]
[JsonSerializable(typeof(IReadOnlyList<GroupSummaryDto>))]
[JsonSerializable(typeof(GroupResult))]
[JsonSerializable(typeof(AuditEventsResponse))]
[JsonSerializable(typeof(IReadOnlyList<AuditEventDto>))]
[JsonSerializable(typeof(CountersignResult))]
[JsonSerializable(typeof(AuditKeyResult))]
[JsonSerializable(typeof(AuditVerifyResult))]
internal sealed partial class AgentJsonContext : JsonSerializerContext;
