namespace Coffer.Contracts.Policies;

/// <summary>The settings the server enforces (POLICY.md); every one has a safe default (docs/adr/0022).</summary>
/// <param name="MinPasswordLength">Shortest account password official clients accept (14–128).</param>
/// <param name="RequireMfa"><c>everyone</c> or <c>admins</c> (administrators always need a factor).</param>
/// <param name="MfaKinds">Allowed factor kinds in order of preference: <c>security_key</c>, <c>push</c>, <c>totp</c>, <c>sms</c>.</param>
/// <param name="MfaRememberDeviceDays">Days a device that presented a factor skips it at sign-in (0 = every sign-in, at most 90).</param>
/// <param name="StepUpActions">Actions that need a fresh factor (step-up).</param>
/// <param name="StepUpWindowMinutes">How fresh, in minutes (1–15).</param>
/// <param name="KnownNetworks">CIDR ranges that may lengthen the step-up window; an indicator only, never authentication.</param>
/// <param name="KnownNetworkStepUpWindowMinutes">The step-up window inside the known networks (at least the normal window, at most 60).</param>
/// <param name="LockoutThreshold">Failures within the window that lock the account for unknown devices (3–100).</param>
/// <param name="LockoutWindowMinutes">The failure-counting window (1–1440).</param>
/// <param name="LockoutDurationMinutes">How long the lock lasts (1–1440).</param>
/// <param name="SessionIdleMinutes">A session unused this long ends (1–1440).</param>
/// <param name="SessionAbsoluteHours">A session ends this long after sign-in (1–720).</param>
/// <param name="OfflineWindowDays">How long after an online unlock a device may unlock offline (0 = never, at most 90).</param>
/// <param name="TravelModeAllowed">Whether members may turn travel mode on.</param>
/// <param name="ActivityLogRetentionDays">How long activity-log events are kept (183–730).</param>
/// <param name="SecurityKeyUserVerification">User verification (a PIN or biometric on the key) for security keys: <c>preferred</c>
/// (the default; a touch is enough) or <c>required</c> (POLICY.md: "user verification when policy demands"). Absent from documents
/// written before it existed, which therefore read as <c>preferred</c>.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PolicySettingsDto(
    [property: JsonRequired] int MinPasswordLength,
    [property: JsonRequired] string RequireMfa,
    [property: JsonRequired] IReadOnlyList<string> MfaKinds,
    [property: JsonRequired] int MfaRememberDeviceDays,
    [property: JsonRequired] IReadOnlyList<string> StepUpActions,
    [property: JsonRequired] int StepUpWindowMinutes,
    [property: JsonRequired] IReadOnlyList<string> KnownNetworks,
    [property: JsonRequired] int KnownNetworkStepUpWindowMinutes,
    [property: JsonRequired] int LockoutThreshold,
    [property: JsonRequired] int LockoutWindowMinutes,
    [property: JsonRequired] int LockoutDurationMinutes,
    [property: JsonRequired] int SessionIdleMinutes,
    [property: JsonRequired] int SessionAbsoluteHours,
    [property: JsonRequired] int OfflineWindowDays,
    [property: JsonRequired] bool TravelModeAllowed,
    [property: JsonRequired] int ActivityLogRetentionDays,
    string SecurityKeyUserVerification = "preferred");

/// <summary>
/// The body of the key-related settings (policy kind <c>key_settings</c>), which clients act on and so only believe when the
/// organisation root signed it (PROTOCOL.md §5.2).
/// </summary>
/// <param name="WebSigning">May pages the server serves hold root or issuer keys (default false).</param>
/// <param name="ConfirmWithSas">Which member confirmations compare the short authentication string: <c>admins</c> (default), <c>everyone</c> or <c>off</c>.</param>
/// <param name="RecoveryQuorum">Approvals a recovery needs (1–10, default 1).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record KeyPolicySettingsDto(
    [property: JsonRequired] bool WebSigning,
    [property: JsonRequired] string ConfirmWithSas,
    [property: JsonRequired] int RecoveryQuorum);

/// <summary>A root-signed policy (PROTOCOL.md §5.2 <c>policy</c>: orgId, policyKind, policyVersion, bodyHash, issuedAt).</summary>
/// <param name="Kind">The policy kind, <c>key_settings</c>.</param>
/// <param name="Version">Its version; clients refuse one older than they pinned.</param>
/// <param name="Body">The body (JSON of <see cref="KeyPolicySettingsDto"/>) exactly as signed: bodyHash is SHA-256 of its UTF-8 bytes.</param>
/// <param name="IssuedAt">When it was signed (Unix ms).</param>
/// <param name="Signature">The root's signature, 64 bytes base64url.</param>
/// <param name="SignedBy">The Owner whose client signed it (set by the server; ignored on write).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SignedPolicyDto(
    [property: JsonRequired] string Kind,
    [property: JsonRequired] long Version,
    [property: JsonRequired] string Body,
    [property: JsonRequired] long IssuedAt,
    [property: JsonRequired] string Signature,
    string? SignedBy = null);

/// <summary><c>GET /api/v1/policy</c>: the organisation's policy document.</summary>
/// <param name="OrgId">The organisation.</param>
/// <param name="Version">The document's version; a write names it (409 when it moved on).</param>
/// <param name="Settings">What the server enforces.</param>
/// <param name="KeySettings">The root-signed key-related settings; null until an Owner signs some (clients then use the defaults).</param>
/// <param name="UpdatedAt">When it last changed (Unix ms); 0 while it is the defaults.</param>
/// <param name="UpdatedBy">Who last changed it.</param>
public sealed record PolicyDocumentResponse(
    [property: JsonRequired] string OrgId,
    [property: JsonRequired] long Version,
    [property: JsonRequired] PolicySettingsDto Settings,
    SignedPolicyDto? KeySettings,
    [property: JsonRequired] long UpdatedAt,
    string? UpdatedBy);

/// <summary><c>PUT /api/v1/policy</c>: the whole document, written only if it is still at <paramref name="ExpectedVersion"/>.</summary>
/// <param name="ExpectedVersion">The version the writer read (0 for the defaults).</param>
/// <param name="Settings">The new settings.</param>
/// <param name="KeySettings">The signed key-related settings: the current ones unchanged, a newer version, or null to keep what is stored.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PolicyUpdateRequest(
    [property: JsonRequired] long ExpectedVersion,
    [property: JsonRequired] PolicySettingsDto Settings,
    SignedPolicyDto? KeySettings = null);
