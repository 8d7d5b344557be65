using System.Net;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Mfa;
using Coffer.Contracts.Policies;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Auth;

namespace Coffer.Server.Features.Policies;

/// <summary>The tokens of the policy document (POLICY.md) and its defaults.</summary>
internal static class PolicyValues
{
    public const string RequireMfaEveryone = "everyone";
    public const string RequireMfaAdmins = "admins";

    public const string KeySettingsKind = "key_settings";

    /// <summary>The factor kinds a policy may list, in POLICY.md's order of preference.</summary>
    public static readonly string[] FactorKinds = [MfaKinds.SecurityKey, MfaKinds.Push, MfaKinds.Totp, MfaKinds.Sms];

    /// <summary>The kinds this server can verify today; a policy must allow at least one.</summary>
    public static readonly string[] SupportedFactorKinds = [MfaKinds.SecurityKey, MfaKinds.Totp];

    /// <summary><c>securityKeyUserVerification</c>: the WebAuthn userVerification asked of security keys (docs/adr/0026).</summary>
    public const string UserVerificationPreferred = "preferred";
    public const string UserVerificationRequired = "required";

    /// <summary>POLICY.md's step-up list.</summary>
    public static readonly string[] StepUpActions =
    [
        "change_email", "add_admin", "change_policies", "start_recovery", "delete_vault", "bulk_export", "sso_scim_config",
        "deauthorise_other_device", "permanent_delete",
    ];

    public static readonly string[] ConfirmWithSas = ["admins", "everyone", "off"];

    /// <summary>The defaults: POLICY.md's, except the session lifetimes and retention, which come from the server's configuration
    /// (whose own defaults are POLICY.md's) so that an installation configured before the document existed keeps its values.</summary>
    public static PolicySettingsDto Defaults(CofferOptions options) => new(
        MinPasswordLength: 14,
        RequireMfa: RequireMfaEveryone,
        MfaKinds: [MfaKinds.SecurityKey, MfaKinds.Totp],
        MfaRememberDeviceDays: 30,
        StepUpActions: StepUpActions,
        StepUpWindowMinutes: 5,
        KnownNetworks: [],
        KnownNetworkStepUpWindowMinutes: 5,
        LockoutThreshold: ThrottlePolicy.Default.LockoutThreshold,
        LockoutWindowMinutes: (int)ThrottlePolicy.Default.Window.TotalMinutes,
        LockoutDurationMinutes: (int)ThrottlePolicy.Default.LockoutDuration.TotalMinutes,
        SessionIdleMinutes: Math.Clamp(options.Sessions.IdleMinutes, 1, 1440),
        SessionAbsoluteHours: Math.Clamp(options.Sessions.AbsoluteHours, 1, 720),
        OfflineWindowDays: 0,
        TravelModeAllowed: false,
        ActivityLogRetentionDays: Math.Clamp(options.Audit.RetentionDays, AuditOptions.MinimumRetentionDays, AuditOptions.MaximumRetentionDays),
        SecurityKeyUserVerification: UserVerificationPreferred);

    public static readonly KeyPolicySettingsDto KeyDefaults = new(WebSigning: false, ConfirmWithSas: "admins", RecoveryQuorum: 1);

    /// <summary>Checks every setting; each problem names its field (<c>settings.x</c>) and what is acceptable.</summary>
    public static void Validate(RequestValidation v, PolicySettingsDto? s)
    {
        if (s is null)
        {
            v.Fail("settings", "is required");
            return;
        }
        Range(v, "settings.minPasswordLength", s.MinPasswordLength, 14, 128, "POLICY.md asks for at least 14 characters");
        v.Check(s.RequireMfa is RequireMfaEveryone or RequireMfaAdmins, "settings.requireMfa",
            "must be everyone or admins (there is no off: administrators always need a factor)");
        List<string> kinds = [.. s.MfaKinds ?? []];
        v.Check(kinds.Count > 0 && kinds.All(FactorKinds.Contains), "settings.mfaKinds",
            "must list factor kinds from security_key, push, totp, sms");
        v.Check(kinds.Distinct(StringComparer.Ordinal).Count() == kinds.Count, "settings.mfaKinds", "must not repeat a kind");
        v.Check(kinds.Any(SupportedFactorKinds.Contains), "settings.mfaKinds",
            "must allow security_key or totp: the kinds this server can verify (without one nobody could satisfy MFA)");
        Range(v, "settings.mfaRememberDeviceDays", s.MfaRememberDeviceDays, 0, 90, "0 asks for a factor at every sign-in");
        List<string> actions = [.. s.StepUpActions ?? []];
        v.Check(actions.All(StepUpActions.Contains), "settings.stepUpActions", "must name actions from: " + string.Join(", ", StepUpActions));
        v.Check(actions.Distinct(StringComparer.Ordinal).Count() == actions.Count, "settings.stepUpActions", "must not repeat an action");
        v.Check(actions.Contains("change_policies"), "settings.stepUpActions",
            "must keep change_policies: otherwise one stolen session could turn step-up off for everything");
        Range(v, "settings.stepUpWindowMinutes", s.StepUpWindowMinutes, 1, 15, "POLICY.md's default is 5");
        List<string> networks = [.. s.KnownNetworks ?? []];
        v.Check(networks.Count <= 100, "settings.knownNetworks", "at most 100 ranges");
        foreach (string network in networks)
        {
            v.Check(IPNetwork.TryParse(network, out IPNetwork parsed) && string.Equals(parsed.ToString(), network, StringComparison.Ordinal),
                "settings.knownNetworks", $"'{Short(network)}' is not a CIDR range in canonical form (e.g. 192.0.2.0/24)");
        }
        Range(v, "settings.knownNetworkStepUpWindowMinutes", s.KnownNetworkStepUpWindowMinutes, Math.Max(1, s.StepUpWindowMinutes), 60,
            "at least the step-up window: a known network may lengthen it, never shorten it");
        Range(v, "settings.lockoutThreshold", s.LockoutThreshold, 3, 100, "POLICY.md's default is 10");
        Range(v, "settings.lockoutWindowMinutes", s.LockoutWindowMinutes, 1, 1440, "POLICY.md's default is 15");
        Range(v, "settings.lockoutDurationMinutes", s.LockoutDurationMinutes, 1, 1440, "POLICY.md's default is 60");
        Range(v, "settings.sessionIdleMinutes", s.SessionIdleMinutes, 1, 1440, "POLICY.md's default is 10");
        Range(v, "settings.sessionAbsoluteHours", s.SessionAbsoluteHours, 1, 720, "POLICY.md's default is 8");
        v.Check(s.SessionIdleMinutes <= s.SessionAbsoluteHours * 60, "settings.sessionIdleMinutes", "must not exceed the absolute lifetime");
        Range(v, "settings.offlineWindowDays", s.OfflineWindowDays, 0, 90, "0 allows no offline unlock");
        Range(v, "settings.activityLogRetentionDays", s.ActivityLogRetentionDays, AuditOptions.MinimumRetentionDays, AuditOptions.MaximumRetentionDays,
            "POLICY.md keeps the log at least 6 months and at most 2 years");
        v.Check(s.SecurityKeyUserVerification is UserVerificationPreferred or UserVerificationRequired, "settings.securityKeyUserVerification",
            "must be preferred (a touch of the key is enough) or required (the key also checks a PIN or biometric)");
    }

    /// <summary>Checks a key-settings body; the errors name <c>keySettings.body.x</c>.</summary>
    public static KeyPolicySettingsDto? ParseKeyBody(RequestValidation v, string body)
    {
        KeyPolicySettingsDto? k;
        try
        {
            k = JsonSerializer.Deserialize(body, CofferJsonContext.Default.KeyPolicySettingsDto);
        }
        catch (JsonException)
        {
            k = null;
        }
        if (k is null)
        {
            v.Fail("keySettings.body", "must be the JSON of the key-related settings {webSigning, confirmWithSas, recoveryQuorum}");
            return null;
        }
        v.Check(ConfirmWithSas.Contains(k.ConfirmWithSas), "keySettings.body.confirmWithSas", "must be admins, everyone or off");
        Range(v, "keySettings.body.recoveryQuorum", k.RecoveryQuorum, 1, 10, "the default is 1");
        return k;
    }

    private static void Range(RequestValidation v, string field, int value, int min, int max, string why) =>
        v.Check(value >= min && value <= max, field, $"must be between {min} and {max} ({why})");

    private static string Short(string s) => s.Length > 50 ? s[..50] + "…" : s;
}
