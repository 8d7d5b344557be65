using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Text;
using Coffer.Server.Common.Configuration;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Members;

/// <summary>A plain-text message to one person.</summary>
internal sealed record MailMessageText(string To, string Subject, string Body);

/// <summary>
/// Sends the server's mail. Without <c>Coffer:Smtp:Host</c> every message is written as an RFC 5322 file
/// to <c>&lt;DataDirectory&gt;/outbox/</c> (directory 0700, files 0600: an invitation carries a one-time
/// token), for an operator to deliver or a test to read.
/// </summary>
internal sealed class Mailer(IOptions<CofferOptions> options, TimeProvider clock)
{
    public string OutboxDirectory => Path.Combine(Path.GetFullPath(options.Value.DataDirectory), "outbox");

    public async Task SendAsync(MailMessageText message, CancellationToken ct)
    {
        SmtpOptions smtp = options.Value.Smtp;
        if (!string.IsNullOrWhiteSpace(smtp.Host))
        {
            using SmtpClient client = new(smtp.Host, smtp.Port) { EnableSsl = smtp.EnableSsl };
            if (smtp.UserName is not null)
            {
                client.Credentials = new NetworkCredential(smtp.UserName, smtp.Password);
            }
            using MailMessage mail = new(smtp.From, message.To, message.Subject, message.Body);
            await client.SendMailAsync(mail, ct);
            return;
        }
        await WriteToOutboxAsync(message, smtp.From, ct);
    }

    private async Task WriteToOutboxAsync(MailMessageText message, string from, CancellationToken ct)
    {
        string directory = OutboxDirectory;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        DateTimeOffset now = clock.GetUtcNow();
        string id = Guid.CreateVersion7().ToString("N");
        StringBuilder eml = new();
        eml.Append("From: ").Append(HeaderValue(from)).Append("\r\n");
        eml.Append("To: ").Append(HeaderValue(message.To)).Append("\r\n");
        eml.Append("Subject: ").Append(HeaderValue(message.Subject)).Append("\r\n");
        eml.Append("Date: ").Append(now.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)).Append("\r\n");
        eml.Append("Message-ID: <").Append(id).Append("@coffer>\r\n");
        eml.Append("MIME-Version: 1.0\r\n");
        eml.Append("Content-Type: text/plain; charset=utf-8\r\n");
        eml.Append("Content-Transfer-Encoding: 8bit\r\n\r\n");
        eml.Append(message.Body.ReplaceLineEndings("\r\n"));
        FileStreamOptions fileOptions = new() { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using FileStream file = new(Path.Combine(directory, id + ".eml"), fileOptions);
        await file.WriteAsync(Encoding.UTF8.GetBytes(eml.ToString()), ct);
    }

    /// <summary>Header values come from people: a line break would let them add headers.</summary>
    private static string HeaderValue(string value) => value.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
}
