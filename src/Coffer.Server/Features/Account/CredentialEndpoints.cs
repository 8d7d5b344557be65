using System.Globalization;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Auth;
using Coffer.Protocol.Envelopes;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;
using Coffer.Server.Features.StepUp;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Account;

/// <remarks>
/// Any confirmed member, for their own account only (docs/adr/0017). Changing the password or Secret Key needs a session that
/// completed SRP within the last <see cref="ReauthenticationWindow"/> (403 <c>reauthentication-required</c>): an unattended,
/// still-open session cannot take over the account. Asking for a new email is a step-up action (docs/adr/0024). Confirming an email
/// change needs the token mailed to the new address, in a session of the member who asked. Bodies are validated before the
/// session's age is looked at, so a malformed request is 400 whatever the session.
/// </remarks>
internal static partial class CredentialEndpoints
{
    /// <summary>How recently the session must have completed SRP for a credential or email change.</summary>
    public static readonly TimeSpan ReauthenticationWindow = TimeSpan.FromMinutes(5);

    /// <summary>A keyset symmetric key (32 bytes) sealed with AES-256-GCM: ciphertext and tag.</summary>
    private const int SealedKeyLength = 32 + Envelope.TagLength;

    public static RouteGroupBuilder MapCredentialEndpoints(this RouteGroupBuilder accountGroup)
    {
        accountGroup.MapPost("/credentials", ChangeCredentials).WithName("Account_ChangeCredentials").RequireCofferSession()
            .AddEndpointFilter<ConfirmedMemberFilter>();
        accountGroup.MapPost("/email", RequestEmailChange).WithName("Account_RequestEmailChange").RequireCofferSession()
            .AddEndpointFilter<ConfirmedMemberFilter>();
        accountGroup.MapPost("/email/confirm", ConfirmEmailChange).WithName("Account_ConfirmEmailChange").RequireCofferSession()
            .AddEndpointFilter<ConfirmedMemberFilter>();
        return accountGroup;
    }

    /// <summary>
    /// A new password or Secret Key (PROTOCOL.md §2): salt, iterations, verifier and the keyset key's AUK seal replaced in one
    /// transaction; the member's other sessions end; the member is mailed.
    /// </summary>
    internal static async Task<Results<Ok<ChangeCredentialsResponse>, ProblemHttpResult>> ChangeCredentials(ChangeCredentialsRequest request,
        HttpContext http, CredentialStore store, LiveSessions live, AccountMail mail, AuditLog audit, IOptions<CofferOptions> options, TimeProvider clock,
        ILogger<CredentialStore> log, CancellationToken ct)
    {
        RequestValidation v = new();
        v.Check(request.Kind is CredentialChangeKinds.Password or CredentialChangeKinds.SecretKey, "kind", "must be password or secret_key");
        SetupValidator.Credentials(v, "", request.Kdf, request.Verifier, options.Value.MinimumKdfIterations);
        SetupValidator.KeysetKid(v, "keysetId", "keysetSerial", request.KeysetId, request.KeysetSerial);
        Envelope? sealedKey = v.Envelope("sealedSymmetricKey", request.SealedSymmetricKey, "auk");
        if (sealedKey is not null)
        {
            v.Check(sealedKey.Data.Length == SealedKeyLength, "sealedSymmetricKey", "must seal exactly the 32-byte keyset key");
        }
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        if (!RecentlyAuthenticated(caller, now))
        {
            await audit.RecordAsync(Refused(caller, now, AuditActions.CredentialsChange, "reauthentication_required"), ct);
            return ReauthenticationRequired();
        }
        CredentialChangeResult result = await store.ChangeAsync(caller, request, now, ct);
        switch (result.Outcome)
        {
            case CredentialOutcome.WrongKeyset:
                return Problems.Validation("keysetId", "must name your current keyset and serial");
            case CredentialOutcome.FewerIterations:
                return Problems.Validation("kdf.iterations", "must not be fewer than the account uses now");
            case CredentialOutcome.NotPasswordAccount:
                return Problems.Of(CofferErrors.MemberState, "This account unlocks with single sign-on: it has no password or Secret Key to change.");
            case CredentialOutcome.Replayed:
                return Replayed();
            case CredentialOutcome.Changed:
                break;
            default:
                throw new InvalidOperationException();
        }
        foreach (string sessionId in result.EndedSessions)
        {
            live.Forget(sessionId);
        }
        LogCredentialsChanged(log, caller.MemberId, request.Kind, result.EndedSessions.Count);
        await mail.SendCredentialChangedAsync(new CredentialChangeNotice(caller.MemberId, result.Email, result.Name, request.Kind, result.DeviceName,
            now, AuditEntry.CanonicalIp(caller.Ip), result.EndedSessions.Count), ct);
        return TypedResults.Ok(new ChangeCredentialsResponse(result.EndedSessions.Count));
    }

    /// <summary>
    /// Asks to make a new address the sign-in email: a one-time token goes to that address, valid for 24 hours; a newer request
    /// supersedes an older one; at most 3 mails an hour per member. Whether the address is taken is not said here (only to
    /// whoever holds the token, at confirmation), so this cannot be used to find out who has an account.
    /// </summary>
    internal static async Task<Results<Accepted<EmailChangeResponse>, ProblemHttpResult>> RequestEmailChange(EmailChangeRequest request, HttpContext http,
        CredentialStore store, AccountMail mail, AuditLog audit, StepUpGate stepUp, TimeProvider clock, ILogger<CredentialStore> log, CancellationToken ct)
    {
        RequestValidation v = new();
        v.Email("newEmail", request.NewEmail);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        // POLICY.md lists changing email as a step-up action: a fresh factor, or for a member without one a fresh SRP proof
        // (which a new sign-in is), rather than ADR 0017's sign-in recency (docs/adr/0024).
        if (await stepUp.CheckAsync(http, StepUpActions.ChangeEmail, ct) is { } stepUpRequired)
        {
            return stepUpRequired;
        }
        long now = clock.NowMs();
        EmailRequestResult result = await store.RequestEmailChangeAsync(caller, request.NewEmail, now, ct);
        switch (result.Outcome)
        {
            case EmailRequestOutcome.SameEmail:
                return Problems.Validation("newEmail", "is already your sign-in email");
            case EmailRequestOutcome.Throttled:
                await audit.RecordAsync(Refused(caller, now, AuditActions.EmailChangeRequest, "throttled"), ct);
                int seconds = (int)Math.Max(1, Math.Ceiling((result.RetryAt - now) / 1000.0));
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return Problems.Of(CofferErrors.TooManyAttempts, $"At most {CredentialStore.EmailRequestsPerWindow} confirmation mails an hour; try again in {seconds} seconds.",
                    new Dictionary<string, object?> { ["retryAfterSeconds"] = seconds });
            case EmailRequestOutcome.Replayed:
                return Replayed();
            case EmailRequestOutcome.Requested:
                break;
            default:
                throw new InvalidOperationException();
        }
        await mail.SendEmailConfirmationAsync(request.NewEmail, result.Name, result.Token!, result.ExpiresAt, ct);
        LogEmailChangeRequested(log, caller.MemberId);
        return TypedResults.Accepted((string?)null, new EmailChangeResponse(result.ExpiresAt));
    }

    /// <summary>Confirms the newest email change with the mailed token: the sign-in email switches, and the old address is told.</summary>
    internal static async Task<Results<Ok<EmailConfirmResponse>, ProblemHttpResult>> ConfirmEmailChange(EmailConfirmRequest request, HttpContext http,
        CredentialStore store, AccountMail mail, AuditLog audit, TimeProvider clock, ILogger<CredentialStore> log, CancellationToken ct)
    {
        RequestValidation v = new();
        byte[] token = v.Bytes("token", request.Token, exactLength: 32);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        EmailConfirmResult result = await store.ConfirmEmailChangeAsync(caller, token, now, ct);
        switch (result.Outcome)
        {
            case EmailConfirmOutcome.Failed:
                await audit.RecordAsync(AuditEntry.By(caller, now, AuditActions.EmailChange, AuditTargets.Member, caller.MemberId, AuditOutcomes.Failure), ct);
                return Problems.Of(CofferErrors.EmailConfirmationFailed);
            case EmailConfirmOutcome.Taken:
                await audit.RecordAsync(Refused(caller, now, AuditActions.EmailChange, "email_taken"), ct);
                return Problems.Of(CofferErrors.EmailTaken);
            case EmailConfirmOutcome.Replayed:
                return Replayed();
            case EmailConfirmOutcome.Confirmed:
                break;
            default:
                throw new InvalidOperationException();
        }
        LogEmailChanged(log, caller.MemberId);
        await mail.SendEmailChangedAsync(caller.MemberId, result.OldEmail, result.NewEmail, result.Name, now, ct);
        return TypedResults.Ok(new EmailConfirmResponse(result.NewEmail));
    }

    /// <summary>Whether the caller's session completed SRP recently enough for a change of the account's secrets or handle.</summary>
    internal static bool RecentlyAuthenticated(CofferCaller caller, long now) =>
        caller.SignedInAt > 0 && now - caller.SignedInAt <= (long)ReauthenticationWindow.TotalMilliseconds;

    private static ProblemHttpResult ReauthenticationRequired() =>
        Problems.Of(CofferErrors.ReauthenticationRequired,
            $"This session signed in more than {(int)ReauthenticationWindow.TotalMinutes} minutes ago. Sign in again and repeat the change; nothing was changed.");

    private static ProblemHttpResult Replayed() => Problems.Of(CofferErrors.Unauthenticated, "This request was already handled; nothing was written.");

    private static AuditEntry Refused(CofferCaller caller, long now, string action, string reason) =>
        AuditEntry.By(caller, now, action, AuditTargets.Member, caller.MemberId, AuditOutcomes.Refused, AuditEntry.DetailsOf(("reason", reason)));

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {MemberId} changed their credentials ({Kind}); {Sessions} other sessions ended")]
    private static partial void LogCredentialsChanged(ILogger logger, string memberId, string kind, int sessions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {MemberId} asked to change their sign-in email; confirmation mailed")]
    private static partial void LogEmailChangeRequested(ILogger logger, string memberId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {MemberId} changed their sign-in email")]
    private static partial void LogEmailChanged(ILogger logger, string memberId);
}
