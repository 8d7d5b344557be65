using Coffer.Contracts.Accounts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Common;
using Coffer.Contracts.Devices;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Issuers;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Mfa;
using Coffer.Contracts.Policies;
using Coffer.Contracts.Revocations;
using Coffer.Contracts.Sessions;
using Coffer.Contracts.Setup;
using Coffer.Contracts.Sync;
using Coffer.Contracts.Vaults;

namespace Coffer.Contracts;

/// <summary>
/// Source-generated JSON for every wire type: camelCase, no comments or trailing
/// commas, numbers only as numbers. Request types reject unknown members.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowTrailingCommas = false,
    NumberHandling = JsonNumberHandling.Strict,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(EnvelopeDto))]
[JsonSerializable(typeof(PolicySettingsDto))]
[JsonSerializable(typeof(KeyPolicySettingsDto))]
[JsonSerializable(typeof(SignedPolicyDto))]
[JsonSerializable(typeof(PolicyDocumentResponse))]
[JsonSerializable(typeof(PolicyUpdateRequest))]
[JsonSerializable(typeof(MfaFactorDto))]
[JsonSerializable(typeof(MfaFactorsResponse))]
[JsonSerializable(typeof(TotpEnrolRequest))]
[JsonSerializable(typeof(TotpEnrolResponse))]
[JsonSerializable(typeof(MfaCodeRequest))]
[JsonSerializable(typeof(MfaAcceptedResponse))]
[JsonSerializable(typeof(ItemUsageReport))]
[JsonSerializable(typeof(ItemUsageRecorded))]
[JsonSerializable(typeof(SecurityKeyRegistrationRequest))]
[JsonSerializable(typeof(SecurityKeyRegistrationOptionsResponse))]
[JsonSerializable(typeof(SecurityKeyAssertionOptionsResponse))]
[JsonSerializable(typeof(WebAuthnRegistrationCredentialDto))]
[JsonSerializable(typeof(WebAuthnAssertionCredentialDto))]
[JsonSerializable(typeof(BackupCodesResponse))]
[JsonSerializable(typeof(InviteMemberRequest))]
[JsonSerializable(typeof(InvitationResponse))]
[JsonSerializable(typeof(InvitationLookupRequest))]
[JsonSerializable(typeof(InvitationLookupResponse))]
[JsonSerializable(typeof(InvitationAcceptRequest))]
[JsonSerializable(typeof(InvitationAcceptResponse))]
[JsonSerializable(typeof(PendingMemberKeysResponse))]
[JsonSerializable(typeof(ConfirmMemberRequest))]
[JsonSerializable(typeof(MemberDto))]
[JsonSerializable(typeof(MemberListResponse))]
[JsonSerializable(typeof(MemberLifecycleResponse))]
[JsonSerializable(typeof(MemberUnlockResponse))]
[JsonSerializable(typeof(MetaResponse))]
[JsonSerializable(typeof(AuthStartRequest))]
[JsonSerializable(typeof(AuthStartResponse))]
[JsonSerializable(typeof(AuthExchangeRequest))]
[JsonSerializable(typeof(AuthExchangeResponse))]
[JsonSerializable(typeof(AuthVerifyRequest))]
[JsonSerializable(typeof(AuthVerifyResponse))]
[JsonSerializable(typeof(StepUpStartRequest))]
[JsonSerializable(typeof(StepUpStartResponse))]
[JsonSerializable(typeof(StepUpFinishRequest))]
[JsonSerializable(typeof(StepUpFinishResponse))]
[JsonSerializable(typeof(StepUpRequiredProblem))]
[JsonSerializable(typeof(SetupStatusResponse))]
[JsonSerializable(typeof(SetupRequest))]
[JsonSerializable(typeof(SetupResponse))]
[JsonSerializable(typeof(AccountKeysResponse))]
[JsonSerializable(typeof(SessionListResponse))]
[JsonSerializable(typeof(PinsDto))]
[JsonSerializable(typeof(CreateVaultRequest))]
[JsonSerializable(typeof(VaultDto))]
[JsonSerializable(typeof(VaultListResponse))]
[JsonSerializable(typeof(ItemWriteRequest))]
[JsonSerializable(typeof(ItemDto))]
[JsonSerializable(typeof(ItemListResponse))]
[JsonSerializable(typeof(VaultEventDto))]
[JsonSerializable(typeof(ItemHistoryResponse))]
[JsonSerializable(typeof(DeleteItemRequest))]
[JsonSerializable(typeof(RotateVaultRequest))]
[JsonSerializable(typeof(PutVaultGrantRequest))]
[JsonSerializable(typeof(ChangeVaultGrantRequest))]
[JsonSerializable(typeof(VaultGrantSummaryDto))]
[JsonSerializable(typeof(VaultGrantListResponse))]
[JsonSerializable(typeof(MemberCertificateResponse))]
[JsonSerializable(typeof(AuditEventDto))]
[JsonSerializable(typeof(AuditEventsResponse))]
[JsonSerializable(typeof(AuditCheckpointDto))]
[JsonSerializable(typeof(AuditCountersignRequest))]
[JsonSerializable(typeof(AuditKeyCertificateDto))]
[JsonSerializable(typeof(AuditKeyResponse))]
[JsonSerializable(typeof(DeviceListResponse))]
[JsonSerializable(typeof(DeviceWipedProblem))]
[JsonSerializable(typeof(GroupListResponse))]
[JsonSerializable(typeof(GroupDetailResponse))]
[JsonSerializable(typeof(CreateGroupRequest))]
[JsonSerializable(typeof(UpdateGroupRequest))]
[JsonSerializable(typeof(AddGroupMemberRequest))]
[JsonSerializable(typeof(RotateGroupRequest))]
[JsonSerializable(typeof(AccountChangeDto))]
[JsonSerializable(typeof(AccountFeedResponse))]
[JsonSerializable(typeof(ChangeCredentialsRequest))]
[JsonSerializable(typeof(ChangeCredentialsResponse))]
[JsonSerializable(typeof(EmailChangeRequest))]
[JsonSerializable(typeof(EmailChangeResponse))]
[JsonSerializable(typeof(EmailConfirmRequest))]
[JsonSerializable(typeof(EmailConfirmResponse))]
[JsonSerializable(typeof(RevocationListDto))]
[JsonSerializable(typeof(RevocationListResponse))]
[JsonSerializable(typeof(IssuerKeyRequest))]
[JsonSerializable(typeof(IssuerRequestListResponse))]
[JsonSerializable(typeof(CertifyIssuerRequest))]
[JsonSerializable(typeof(IssuerListResponse))]
[JsonSerializable(typeof(CertifiedSubjectsResponse))]
[JsonSerializable(typeof(RecertifyRequest))]
[JsonSerializable(typeof(MemberCertificateResponse))]
[JsonSerializable(typeof(Coffer.Contracts.Errors.ProblemDto))]
public sealed partial class CofferJsonContext : JsonSerializerContext;
