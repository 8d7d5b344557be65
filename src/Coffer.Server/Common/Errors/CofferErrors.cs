using Coffer.Contracts.Errors;

namespace Coffer.Server.Common.Errors;

/// <summary>One entry of the error catalog: a stable type, its status, a title and what a client or person should do.</summary>
internal sealed record CofferError(string Type, int Status, string Title, string Help)
{
    /// <summary>The last path segment of the type, e.g. <c>not-found</c>.</summary>
    public string Slug => Type[ErrorTypes.Prefix.Length..];
}

/// <summary>
/// The catalog of every problem type the server answers with (RFC 9457). Titles are fixed
/// per type; details never carry key material, ciphertext, item names, passwords or emails.
/// </summary>
internal static class CofferErrors
{
    public static readonly CofferError InvalidRequest = new(ErrorTypes.InvalidRequest, 400, "The request is malformed.",
        "The body is not the JSON this endpoint takes: a member is missing, unknown, of the wrong type, or the JSON does not parse. Fix the request; nothing was written.");
    public static readonly CofferError ValidationFailed = new(ErrorTypes.ValidationFailed, 400, "A value is not acceptable.",
        "The request parsed but a value is out of range or malformed; the `errors` member names which. Nothing was written.");
    public static readonly CofferError PayloadTooLarge = new(ErrorTypes.PayloadTooLarge, 413, "The request is too large.",
        "The body is larger than this endpoint accepts. Items are capped by the organisation's policy.");
    public static readonly CofferError Unauthenticated = new(ErrorTypes.Unauthenticated, 401, "Sign in first.",
        "There is no valid session for this request. Sign in again.");
    public static readonly CofferError Forbidden = new(ErrorTypes.Forbidden, 403, "Not allowed.",
        "You are signed in, but your groups and vault permissions do not allow this.");
    public static readonly CofferError NotFound = new(ErrorTypes.NotFound, 404, "Not found.",
        "There is nothing here, or nothing you may see: the two are the same answer.");
    public static readonly CofferError SignInFailed = new(ErrorTypes.SignInFailed, 401, "Sign-in failed.",
        "The email, account password or Secret Key is not right, or the account cannot sign in now. No more is said, on purpose.");
    public static readonly CofferError AccountSuspended = new(ErrorTypes.AccountSuspended, 403, "This account is suspended.",
        "An administrator suspended the account. Ask them to reactivate it; until then it cannot sign in.");
    public static readonly CofferError TooManyAttempts = new(ErrorTypes.TooManyAttempts, 429, "Too many attempts.",
        "Wait for the time given in Retry-After, then try again. Repeated failures lock the account for unknown devices.");
    public static readonly CofferError MfaRequired = new(ErrorTypes.MfaRequired, 403, "A second factor is required.",
        "Present a second factor before anything else.");
    public static readonly CofferError StepUpRequired = new(ErrorTypes.StepUpRequired, 403, "Confirm with a fresh factor.",
        "This action needs a second factor presented within the last few minutes.");
    public static readonly CofferError ItemVersionConflict = new(ErrorTypes.ItemVersionConflict, 409, "The item changed meanwhile.",
        "Someone saved the item after the version you edited. Sync, merge and save again; nothing was lost.");
    public static readonly CofferError VaultChanged = new(ErrorTypes.VaultChanged, 409, "The vault changed meanwhile.",
        "The vault is no longer at the version the request expected. Sync and try again.");
    public static readonly CofferError StaleVersion = new(ErrorTypes.StaleVersion, 409, "A newer version is already stored.",
        "What you wrote is older than what the server holds, and nothing goes backwards. Fetch the newer one, merge, and write the next version.");
    public static readonly CofferError StaleVaultKey = new(ErrorTypes.StaleVaultKey, 409, "The vault key was rotated.",
        "The write was sealed under an older vault key. Sync the vault's key and seal again.");
    public static readonly CofferError CursorExpired = new(ErrorTypes.CursorExpired, 410, "The sync cursor is too old.",
        "The cursor is older than tombstone retention. Resync the vault from the start.");
    public static readonly CofferError AlreadySetUp = new(ErrorTypes.AlreadySetUp, 409, "This server is already set up.",
        "An organisation exists. Sign in, or ask an administrator for an invitation.");
    public static readonly CofferError DeviceWiped = new(ErrorTypes.DeviceWiped, 401, "This device was deauthorised.",
        "You or an administrator deauthorised this device: its sessions have ended. A client that receives this answer sealed under its session deletes everything Coffer keeps on the device (remembered accounts, keys, cached vaults, its device id). Sign in again only as a new device. The same answer arriving unsealed is not believed and means only \"sign in again\".");
    public static readonly CofferError LastOwner = new(ErrorTypes.LastOwner, 409, "This is the last active Owner.",
        "An organisation always keeps at least one active Owner (POLICY.md), so the last one can be neither suspended nor removed, by anyone. Make another member an Owner first; nothing was changed.");
    public static readonly CofferError OwnMembership = new(ErrorTypes.OwnMembership, 409, "Not on your own membership.",
        "Nobody suspends, reactivates or removes themselves: ask another Owner or Administrator to do it. Nothing was changed.");
    public static readonly CofferError MemberState = new(ErrorTypes.MemberState, 409, "The member's state does not allow this.",
        "Only an active member can be suspended and only a suspended one reactivated. Reload the member and try again; nothing was changed.");
    public static readonly CofferError ReauthenticationRequired = new(ErrorTypes.ReauthenticationRequired, 403, "Sign in again first.",
        "Changing your password, Secret Key or email needs a session that signed in within the last 5 minutes. Sign in again (your client can do it with the keys it holds) and repeat the change; nothing was changed.");
    public static readonly CofferError EmailTaken = new(ErrorTypes.EmailTaken, 409, "This address belongs to another account.",
        "The new email is already another member's sign-in email, so it cannot become yours. Choose another address, or ask an administrator; nothing was changed.");
    public static readonly CofferError EmailConfirmationFailed = new(ErrorTypes.EmailConfirmationFailed, 400, "The confirmation did not work.",
        "The token is not the one mailed for your newest email change, or it was used, or it expired (after 24 hours or 5 wrong tries). Ask for a new confirmation mail; nothing was changed.");

    public static readonly CofferError BadSignature = new(ErrorTypes.BadSignature, 400, "The signature does not verify.",
        "A signature in the request is not the one the protocol asks of the key that must make it — a certificate of the server's audit key must be signed by the organisation root. Sign again with the right key (only Owners' clients hold the root); nothing was written.");
    public static readonly CofferError AuditKeyMismatch = new(ErrorTypes.AuditKeyMismatch, 409, "That is not the server's audit key.",
        "The certificate names another key than the one this server signs activity-log checkpoints with: the key file was replaced, or the key was read from elsewhere. Fetch GET /api/v1/audit/key, compare its fingerprint with the server's log, and certify that key; nothing was written.");
    public static readonly CofferError AdminMfaRequired = new(ErrorTypes.AdminMfaRequired, 403, "Administrators need a second factor.",
        "Administrative functions are refused to a session that has not presented a second factor (POLICY.md: MFA always for administrators). Enrol one (`coffer mfa add-totp`, or POST /api/v1/mfa/totp and confirm it with a first code), then sign in again and present it; nothing was changed.");
    public static readonly CofferError MfaFailed = new(ErrorTypes.MfaFailed, 400, "The code was not accepted.",
        "The code is wrong, was already used (each code works once), is outside the ±30 s window, or names a factor that is not yours or not active. Wait for the next code and try again; failures are throttled like sign-in failures. Nothing was changed.");
    public static readonly CofferError PolicyChanged = new(ErrorTypes.PolicyChanged, 409, "The policy changed meanwhile.",
        "Someone changed the organisation's policy after the version your write names. Read it again (GET /api/v1/policy), reapply your change and write it with the new version; nothing was written.");
    public static readonly CofferError Internal = new(ErrorTypes.Internal, 500, "Something went wrong on the server.",
        "The server failed to finish the request and wrote nothing. The administrator can find the trace id in the server's log.");

    public static IReadOnlyList<CofferError> All { get; } =
    [
        InvalidRequest, ValidationFailed, PayloadTooLarge, Unauthenticated, Forbidden, NotFound, SignInFailed, AccountSuspended, TooManyAttempts,
        MfaRequired, StepUpRequired, ItemVersionConflict, VaultChanged, StaleVersion, StaleVaultKey, CursorExpired, AlreadySetUp, DeviceWiped, LastOwner,
        OwnMembership, MemberState, ReauthenticationRequired, EmailTaken, EmailConfirmationFailed, BadSignature, AuditKeyMismatch, AdminMfaRequired,
        MfaFailed, PolicyChanged, Internal,
    ];

    public static CofferError? FindBySlug(string slug) =>
        All.FirstOrDefault(e => string.Equals(e.Slug, slug, StringComparison.Ordinal));

    public static CofferError ForStatus(int status) => status switch
    {
        400 => InvalidRequest,
        401 => Unauthenticated,
        403 => Forbidden,
        404 => NotFound,
        405 => NotFound,
        409 => VaultChanged,
        410 => CursorExpired,
        413 => PayloadTooLarge,
        415 => InvalidRequest,
        429 => TooManyAttempts,
        _ => status >= 500 ? Internal : InvalidRequest,
    };
}
