namespace Coffer.Contracts.Auth;

/// <summary>
/// <c>POST /api/v1/auth/step-up/start</c>, inside a session: a member with no second factor confirms a privileged action
/// with a fresh SRP proof (docs/adr/0024). The client's ephemeral A, 512 bytes, base64url.
/// </summary>
/// <param name="A">SRP A, exactly 512 bytes, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record StepUpStartRequest([property: JsonRequired] string A);

/// <summary>Answer to <c>auth/step-up/start</c>: the attempt, the server's B and the account's KDF parameters.</summary>
/// <param name="AuthId">The step-up attempt's id (two minutes).</param>
/// <param name="B">SRP B, exactly 512 bytes, base64url.</param>
/// <param name="Kdf">The member's KDF parameters: the proof is made with keys derived from them.</param>
public sealed record StepUpStartResponse(
    [property: JsonRequired] string AuthId,
    [property: JsonRequired] string B,
    [property: JsonRequired] KdfDto Kdf);

/// <summary><c>POST /api/v1/auth/step-up/finish</c>: the client's proof M1 for the attempt.</summary>
/// <param name="AuthId">The step-up attempt's id.</param>
/// <param name="M1">The client proof, 32 bytes, base64url.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record StepUpFinishRequest(
    [property: JsonRequired] string AuthId,
    [property: JsonRequired] string M1);

/// <summary>Answer to <c>auth/step-up/finish</c>: the server's proof; the session has stepped up.</summary>
/// <param name="M2">The server proof, 32 bytes, base64url.</param>
/// <param name="SteppedUpAt">Unix ms: the session's new step-up time.</param>
public sealed record StepUpFinishResponse(
    [property: JsonRequired] string M2,
    [property: JsonRequired] long SteppedUpAt);

/// <summary>
/// The problem <see cref="Errors.ErrorTypes.StepUpRequired"/> (403): the action needs a factor (or, for a member without one,
/// an SRP proof) presented within the window; nothing was changed, so the same request may be sent again after stepping up.
/// </summary>
/// <param name="Type">Always <c>/errors/step-up-required</c>.</param>
/// <param name="Action">The step-up action being confirmed (POLICY.md's list, or <c>mfa_factor_add</c>, <c>mfa_factor_remove</c>,
/// <c>mfa_backup_codes</c>).</param>
/// <param name="WindowMinutes">How old the factor may be, in minutes, for this caller.</param>
/// <param name="Methods">What the member may present: factor kinds in the organisation's order (<c>totp</c>, <c>backup_code</c>),
/// or <c>srp</c> for a member without a factor (<c>POST /api/v1/auth/step-up/start</c>).</param>
/// <param name="Title">The catalog's fixed title.</param>
/// <param name="Status">403.</param>
/// <param name="Detail">What to do, for a person.</param>
/// <param name="TraceId">The id the server logged the request under.</param>
public sealed record StepUpRequiredProblem(
    [property: JsonRequired] string Type,
    [property: JsonRequired] string Action,
    [property: JsonRequired] int WindowMinutes,
    [property: JsonRequired] IReadOnlyList<string> Methods,
    string? Title = null,
    int? Status = null,
    string? Detail = null,
    string? TraceId = null);

/// <summary>The actions that need a fresh factor (POLICY.md "MFA again for important or privileged actions"; docs/adr/0024).</summary>
public static class StepUpActions
{
    /// <summary>Asking for a new sign-in email.</summary>
    public const string ChangeEmail = "change_email";

    /// <summary>Making someone an Owner or Administrator.</summary>
    public const string AddAdmin = "add_admin";

    /// <summary>Writing the policy document (always asked, whatever the list says).</summary>
    public const string ChangePolicies = "change_policies";

    /// <summary>Starting an account recovery (no endpoint yet).</summary>
    public const string StartRecovery = "start_recovery";

    /// <summary>Deleting a vault (no endpoint yet).</summary>
    public const string DeleteVault = "delete_vault";

    /// <summary>Exporting in bulk (the activity-log export).</summary>
    public const string BulkExport = "bulk_export";

    /// <summary>Configuring SSO or SCIM (no endpoint yet).</summary>
    public const string SsoScimConfig = "sso_scim_config";

    /// <summary>Deauthorising another member's device.</summary>
    public const string DeauthoriseOtherDevice = "deauthorise_other_device";

    /// <summary>Deleting an item for good.</summary>
    public const string PermanentDelete = "permanent_delete";

    /// <summary>Adding a factor past the first (always asked).</summary>
    public const string MfaFactorAdd = "mfa_factor_add";

    /// <summary>Removing a factor (always asked).</summary>
    public const string MfaFactorRemove = "mfa_factor_remove";

    /// <summary>Regenerating backup codes (always asked).</summary>
    public const string MfaBackupCodes = "mfa_backup_codes";

    /// <summary>The method a member without a factor steps up with: a fresh SRP proof (<c>POST /api/v1/auth/step-up/start</c>).</summary>
    public const string SrpMethod = "srp";

    /// <summary>What a person is confirming, for a prompt.</summary>
    public static string Describe(string action) => action switch
    {
        ChangeEmail => "changing your sign-in email",
        AddAdmin => "making someone an Owner or Administrator",
        ChangePolicies => "changing the organisation's policies",
        StartRecovery => "starting an account recovery",
        DeleteVault => "deleting a vault",
        BulkExport => "exporting in bulk",
        SsoScimConfig => "configuring single sign-on or SCIM",
        DeauthoriseOtherDevice => "deauthorising another member's device",
        PermanentDelete => "deleting for good",
        MfaFactorAdd => "adding a second factor",
        MfaFactorRemove => "removing a second factor",
        MfaBackupCodes => "making new backup codes",
        _ => "a privileged action",
    };
}
