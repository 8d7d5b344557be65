namespace Coffer.Contracts.Errors;

/// <summary>
/// The stable RFC 9457 problem <c>type</c> values. Clients switch on these, never on
/// titles or details; each is a page the server serves. Add, never rename.
/// </summary>
public static class ErrorTypes
{
    /// <summary>The path prefix of every type.</summary>
    public const string Prefix = "/errors/";

    /// <summary>Malformed JSON, wrong types, unknown or missing members.</summary>
    public const string InvalidRequest = Prefix + "invalid-request";

    /// <summary>A value is well-formed but not acceptable (a field names what).</summary>
    public const string ValidationFailed = Prefix + "validation-failed";

    /// <summary>The body is larger than the endpoint accepts.</summary>
    public const string PayloadTooLarge = Prefix + "payload-too-large";

    /// <summary>No valid session (a plain 401 from the session layer carries no body).</summary>
    public const string Unauthenticated = Prefix + "unauthenticated";

    /// <summary>Signed in, not allowed.</summary>
    public const string Forbidden = Prefix + "forbidden";

    /// <summary>Not there, or not yours: the same answer.</summary>
    public const string NotFound = Prefix + "not-found";

    /// <summary>The sign-in failed; says nothing about which part.</summary>
    public const string SignInFailed = Prefix + "sign-in-failed";

    /// <summary>The password and Secret Key were right, but the account is suspended.</summary>
    public const string AccountSuspended = Prefix + "account-suspended";

    /// <summary>Too many attempts; retry after the given delay.</summary>
    public const string TooManyAttempts = Prefix + "too-many-attempts";

    /// <summary>A factor is owed before anything else.</summary>
    public const string MfaRequired = Prefix + "mfa-required";

    /// <summary>The action needs a fresh factor.</summary>
    public const string StepUpRequired = Prefix + "step-up-required";

    /// <summary>The item changed since the base version the client edited.</summary>
    public const string ItemVersionConflict = Prefix + "item-version-conflict";

    /// <summary>The vault changed since the version a rotation expected.</summary>
    public const string VaultChanged = Prefix + "vault-changed";

    /// <summary>A newer version of what was written is already stored (rollback refused).</summary>
    public const string StaleVersion = Prefix + "stale-version";

    /// <summary>A write under a vault-key serial that is not the current one.</summary>
    public const string StaleVaultKey = Prefix + "stale-vault-key";

    /// <summary>The sync cursor is older than tombstone retention; resync.</summary>
    public const string CursorExpired = Prefix + "cursor-expired";

    /// <summary>The organisation is already set up.</summary>
    public const string AlreadySetUp = Prefix + "already-set-up";

    /// <summary>
    /// This device was deauthorised: delete its local data. Acted on only when sealed under the session (ADR 0012);
    /// unsealed it is an ordinary 401.
    /// </summary>
    public const string DeviceWiped = Prefix + "device-wiped";
    /// <summary>The member is the organisation's last active Owner: they cannot be suspended or removed.</summary>
    public const string LastOwner = Prefix + "last-owner";

    /// <summary>Suspending, reactivating or removing one's own membership: another administrator must do it.</summary>
    public const string OwnMembership = Prefix + "own-membership";

    /// <summary>The member's state does not allow the change (e.g. reactivating a member who is not suspended).</summary>
    public const string MemberState = Prefix + "member-state";

    /// <summary>
    /// The action needs a session that completed SRP within the last few minutes (docs/adr/0017): sign in again (with the keys
    /// held in memory) and repeat it. Nothing was changed.
    /// </summary>
    public const string ReauthenticationRequired = Prefix + "reauthentication-required";

    /// <summary>The address belongs to another account: the email change cannot complete. Nothing was changed.</summary>
    public const string EmailTaken = Prefix + "email-taken";

    /// <summary>The email confirmation token is wrong, used, superseded or expired. Nothing was changed.</summary>
    public const string EmailConfirmationFailed = Prefix + "email-confirmation-failed";

    /// <summary>A signature does not verify under the key that must make it (for a certificate of the audit key: the organisation root).</summary>
    public const string BadSignature = Prefix + "bad-signature";

    /// <summary>The certificate names another audit key than the one the server signs checkpoints with (docs/adr/0016).</summary>
    public const string AuditKeyMismatch = Prefix + "audit-key-mismatch";

    /// <summary>An administrator's session without a presented factor: admin functions need MFA (POLICY.md). Enrol a factor and sign in with it.</summary>
    public const string AdminMfaRequired = Prefix + "admin-mfa-required";

    /// <summary>The code is wrong, was used already, or the factor is not one this session may use. Nothing was changed.</summary>
    public const string MfaFailed = Prefix + "mfa-failed";

    /// <summary>The policy document changed since the version the write expected: read it again and reapply the change.</summary>
    public const string PolicyChanged = Prefix + "policy-changed";

    /// <summary>Something failed on the server; nothing was written.</summary>
    public const string Internal = Prefix + "internal";
}
