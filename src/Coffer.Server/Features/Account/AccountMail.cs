using System.Globalization;
using Coffer.Contracts.Accounts;
using Coffer.Protocol.Encoding;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Errors;
using Coffer.Server.Features.Members;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Account;

/// <summary>A credential change as the member is told of it.</summary>
internal sealed record CredentialChangeNotice(string MemberId, string Email, string Name, string Kind, string DeviceName, long At, string? Ip,
    int EndedSessions);

/// <summary>
/// The mail of account upkeep (docs/adr/0017). To the member when their password or Secret Key changed, and to the old address
/// when the sign-in email changed: no secret, no token, no link, and a notice that cannot be sent does not undo the change
/// (it is logged by member id, never by address: an SMTP error may carry it). The email confirmation goes to the new address
/// with its one-time token; if it cannot be sent the request fails, since nobody could confirm it.
/// </summary>
internal sealed partial class AccountMail(Mailer mailer, IOptions<CofferOptions> options, ILogger<AccountMail> log)
{
    public const string PasswordChangedSubject = "Your Coffer account password was changed";
    public const string SecretKeyChangedSubject = "Your Coffer Secret Key was replaced";
    public const string ConfirmEmailSubject = "Confirm your new Coffer sign-in email";
    public const string EmailChangedSubject = "Your Coffer sign-in email was changed";

    public async Task SendCredentialChangedAsync(CredentialChangeNotice n, CancellationToken ct)
    {
        bool password = n.Kind == CredentialChangeKinds.Password;
        string what = password ? "account password" : "Secret Key";
        string next = password
            ? "Sign in on your other devices with the new password and your Secret Key."
            : "Your old Secret Key and Emergency Kit no longer work: sign in on your other devices with the new Secret Key\nfrom your new Emergency Kit, and destroy the old kit.";
        string body = $"""
            Hello {n.Name},

            the {what} of your Coffer account was changed:

              Device:   {n.DeviceName}
              Time:     {Time(n.At)}
              Address:  {n.Ip ?? "unknown"}

            Your other sessions ({n.EndedSessions}) were signed out. {next}

            If you did not do this, tell your administrator at once: someone who knows your account
            password and Secret Key has signed in as you.
            """;
        await NotifyAsync(n.MemberId, new MailMessageText(n.Email, password ? PasswordChangedSubject : SecretKeyChangedSubject, body), ct);
    }

    public Task SendEmailConfirmationAsync(string newEmail, string name, byte[] token, long expiresAt, CancellationToken ct)
    {
        string code = Base64Url.Encode(token);
        string link = $"{(options.Value.PublicUrl ?? "http://localhost").TrimEnd('/')}/account/email#token={code}";
        string body = $"""
            Hello {name},

            you asked to make this address the sign-in email of your Coffer account. To confirm, give this
            code to your Coffer client while you are signed in (it works once, until {Time(expiresAt)}):

              {code}

            or open this link on a device where you are signed in:

            {link}

            If you did not ask for this, ignore this mail: nothing changes unless the code is used.
            """;
        return mailer.SendAsync(new MailMessageText(newEmail, ConfirmEmailSubject, body), ct);
    }

    public async Task SendEmailChangedAsync(string memberId, string oldEmail, string newEmail, string name, long at, CancellationToken ct)
    {
        string body = $"""
            Hello {name},

            the sign-in email of your Coffer account was changed from this address to {Mask(newEmail)}
            at {Time(at)}. From now on, sign in with the new address; your password and Secret Key are
            unchanged. Mail from Coffer goes to the new address.

            If you did not do this, tell your administrator at once.
            """;
        await NotifyAsync(memberId, new MailMessageText(oldEmail, EmailChangedSubject, body), ct);
    }

    /// <summary>The new address with most of its local part hidden: the old inbox may no longer be the member's alone.</summary>
    internal static string Mask(string email)
    {
        int at = email.LastIndexOf('@');
        return at <= 0 ? "another address" : email[0] + new string('*', Math.Min(at - 1, 6) + 1) + email[at..];
    }

    private static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private async Task NotifyAsync(string memberId, MailMessageText message, CancellationToken ct)
    {
        try
        {
            await mailer.SendAsync(message, ct);
            LogSent(log, memberId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(log, memberId, RedactingExceptionHandler.Describe(e));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Account notice mailed to member {MemberId}")]
    private static partial void LogSent(ILogger logger, string memberId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account notice to member {MemberId} could not be sent; the change stands. {Exception}")]
    private static partial void LogFailed(ILogger logger, string memberId, string exception);
}
