using System.Globalization;
using Coffer.Server.Common.Errors;
using Coffer.Server.Features.Members;

namespace Coffer.Server.Features.Devices;

/// <summary>What the mail says of the device: what it reported of itself, and where and when it signed in.</summary>
internal sealed record NewDeviceSignIn(string MemberId, string Email, string MemberName, string DeviceName, string Platform, string ClientVersion,
    long At, string Ip);

/// <summary>
/// POLICY.md "A member is told by mail whenever a new device signs in to their account": every device's first
/// successful sign-in, the very first one after setup or acceptance included (the policy makes no exception, and a
/// stolen invitation or password shows up exactly there). The mail goes to the member's own address and carries no
/// secret: no session id, no link, no key. A mail that cannot be sent does not fail the sign-in; it is logged by member
/// id (never by address: an SMTP error message may carry it).
/// </summary>
internal sealed partial class NewDeviceMail(Mailer mailer, ILogger<NewDeviceMail> log)
{
    public const string Subject = "A new device signed in to your Coffer account";

    public async Task SendAsync(NewDeviceSignIn s, CancellationToken ct)
    {
        string at = DateTimeOffset.FromUnixTimeMilliseconds(s.At).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        string body = $"""
            Hello {s.MemberName},

            a device signed in to your Coffer account for the first time:

              Device:   {s.DeviceName}
              Platform: {s.Platform} (client {s.ClientVersion})
              Time:     {at}
              Address:  {s.Ip}

            If this was you, there is nothing to do.

            If it was not, someone knows your account password and Secret Key. Deauthorise the device
            (Devices in your Coffer client, or ask an administrator): its sessions end at once and it is
            told to delete what it holds. Then change your account password and tell your administrator.
            """;
        try
        {
            await mailer.SendAsync(new MailMessageText(s.Email, Subject, body), ct);
            LogSent(log, s.MemberId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(log, s.MemberId, RedactingExceptionHandler.Describe(e));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "New-device mail sent to member {MemberId}")]
    private static partial void LogSent(ILogger logger, string memberId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "New-device mail to member {MemberId} could not be sent; the sign-in stands. {Exception}")]
    private static partial void LogFailed(ILogger logger, string memberId, string exception);
}
