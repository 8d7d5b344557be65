using System.Text.Json;
using System.Text.Json.Serialization;
using Coffer.Cli.State;
using Coffer.Contracts.Devices;
using Coffer.Contracts.Errors;
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
[JsonDerivedType(typeof(ItemsRequest), "items")]
internal abstract record AgentRequest;

/// <summary>A request about one unlocked account (its member id).</summary>
internal abstract record AccountRequest(string Account) : AgentRequest;

internal sealed record StatusRequest : AgentRequest;

internal sealed record SetupOrganisationRequest(string ServerUrl, string Token, string OrganisationName, string OwnerName, string Email,
    string Password, string? Shorthand, string? KitPath, ServerTrustSettings? Tls) : AgentRequest;

internal sealed record AcceptInvitationRequest(string Link, string Password, string? Shorthand, string? KitPath, ServerTrustSettings? Tls) : AgentRequest;

internal sealed record SignInRequest(string ServerUrl, string Email, string SecretKey, string Password, string OrganisationFingerprint,
    string? Shorthand, ServerTrustSettings? Tls) : AgentRequest;

internal sealed record UnlockRequest(string Account, string Password) : AccountRequest(Account);

internal sealed record LockRequest : AgentRequest;

internal sealed record SignOutRequest(string Account, bool Forget) : AccountRequest(Account);

internal sealed record WhoAmIRequest(string Account) : AccountRequest(Account);

internal sealed record SessionListRequest(string Account) : AccountRequest(Account);

internal sealed record SessionEndRequest(string Account, string SessionId) : AccountRequest(Account);

internal sealed record DeviceListRequest(string Account, string? MemberId) : AccountRequest(Account);

internal sealed record DeviceRevokeRequest(string Account, string DeviceId) : AccountRequest(Account);

internal sealed record MemberListRequest(string Account) : AccountRequest(Account);

internal sealed record MemberInviteRequest(string Account, string Email, string Name, string BaseGroup) : AccountRequest(Account);

/// <summary>The agent's answer: a result (its type depends on the request) or a failure.</summary>
internal sealed record AgentReply(bool Ok, JsonElement? Result = null, AgentFailure? Error = null);

/// <summary>Why a request failed: the exit code, a one-line message, and the server's problem as received.</summary>
internal sealed record AgentFailure(int ExitCode, string Message, ProblemDto? Problem = null);

internal sealed record StatusResult(int ProcessId, long IdleTimeoutSeconds, IReadOnlyList<string> UnlockedAccounts);

/// <summary>An account as the commands show it.</summary>
internal sealed record AccountResult(string Account, string MemberId, string Email, string OrgId, string ServerUrl, string OrganisationFingerprint,
    string DeviceId, bool? Offline = null);

internal sealed record SetupResult(AccountResult Account, string EmergencyKit);

internal sealed record AcceptResult(AccountResult Account, string EmergencyKit, string BaseGroup, bool Unlocked);

internal sealed record WhoAmIResult(string Account, string Email, string Name, string MemberId, string OrgId, string Role, string State,
    IReadOnlyList<string> Groups, string ServerUrl, string DeviceId, string SessionId, string OrganisationFingerprint);

internal sealed record SignOutResult(string Account, bool Forgotten);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(AgentRequest))]
[JsonSerializable(typeof(AgentReply))]
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
internal sealed partial class AgentJsonContext : JsonSerializerContext;
