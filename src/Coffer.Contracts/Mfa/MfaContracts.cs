namespace Coffer.Contracts.Mfa;

/// <summary>The factor kinds this server can verify, and what a client presents.</summary>
public static class MfaKinds
{
    /// <summary>A time-based one-time password (RFC 6238, SHA-1, 6 digits, 30 s).</summary>
    public const string Totp = "totp";

    /// <summary>A single-use backup code (a fallback, offered whenever the member has some left).</summary>
    public const string BackupCode = "backup_code";

    /// <summary>A hardware security key (WebAuthn; a later slice).</summary>
    public const string SecurityKey = "security_key";

    /// <summary>An app push (not supported yet).</summary>
    public const string Push = "push";

    /// <summary>SMS (off unless the policy allows it; not supported yet).</summary>
    public const string Sms = "sms";
}

/// <summary>One of the member's factors.</summary>
/// <param name="Id">The factor id.</param>
/// <param name="Kind">Its kind (<see cref="MfaKinds"/>).</param>
/// <param name="Name">The member's name for it.</param>
/// <param name="Active">False until confirmed with a first code.</param>
/// <param name="CreatedAt">Unix ms.</param>
/// <param name="LastUsedAt">Unix ms of its last accepted code.</param>
public sealed record MfaFactorDto(
    [property: JsonRequired] string Id,
    [property: JsonRequired] string Kind,
    [property: JsonRequired] string Name,
    [property: JsonRequired] bool Active,
    [property: JsonRequired] long CreatedAt,
    long? LastUsedAt);

/// <summary><c>GET /api/v1/mfa/factors</c>: the caller's factors and where the session stands.</summary>
/// <param name="Factors">Their factors, oldest first.</param>
/// <param name="BackupCodesLeft">Unused backup codes.</param>
/// <param name="Required">True when the policy asks this member for a factor.</param>
/// <param name="Pending">True while this session still owes one.</param>
public sealed record MfaFactorsResponse(
    [property: JsonRequired] IReadOnlyList<MfaFactorDto> Factors,
    [property: JsonRequired] int BackupCodesLeft,
    [property: JsonRequired] bool Required,
    [property: JsonRequired] bool Pending);

/// <summary><c>POST /api/v1/mfa/totp</c>: start enrolling an authenticator app.</summary>
/// <param name="Name">The member's name for it (1–100 characters).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TotpEnrolRequest([property: JsonRequired] string Name);

/// <summary>The new, inactive factor: the <c>otpauth://</c> URI to put in an authenticator app (it holds the secret).</summary>
/// <param name="FactorId">The factor; confirm it with a first code.</param>
/// <param name="Uri">The Key Uri Format URI (SHA-1, 6 digits, 30 s).</param>
public sealed record TotpEnrolResponse(
    [property: JsonRequired] string FactorId,
    [property: JsonRequired] string Uri);

/// <summary>A code: for confirming a TOTP factor, or presenting a factor.</summary>
/// <param name="Kind"><c>totp</c> or <c>backup_code</c> (ignored when confirming).</param>
/// <param name="Code">What the person typed.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record MfaCodeRequest(
    [property: JsonRequired] string Kind,
    [property: JsonRequired] string Code);

/// <summary>A factor accepted: the session owes nothing now.</summary>
/// <param name="Kind">What was accepted.</param>
/// <param name="FactorId">The TOTP factor that matched (null for a backup code).</param>
/// <param name="BackupCodesLeft">Unused backup codes after this one.</param>
/// <param name="DeviceRememberedUntil">Until when (Unix ms) sign-ins from this device skip the factor; null when the policy remembers no device.</param>
public sealed record MfaAcceptedResponse(
    [property: JsonRequired] string Kind,
    string? FactorId,
    [property: JsonRequired] int BackupCodesLeft,
    long? DeviceRememberedUntil);

/// <summary><c>POST /api/v1/mfa/backup-codes</c>: ten new single-use codes; the old ones stop working. Shown once.</summary>
/// <param name="Codes">The codes, <c>xxxx-xxxx-xxxx-xxxx</c> (base32).</param>
public sealed record BackupCodesResponse([property: JsonRequired] IReadOnlyList<string> Codes);
