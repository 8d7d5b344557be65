using Coffer.Server.Common.Errors;

namespace Coffer.Server.Tests.Common.Errors;

public class RedactingExceptionHandlerTests
{
    [Fact]
    public void Describe_KeepsTypesAndStack_DropsEveryMessage()
    {
        Exception e;
        try
        {
            throw new InvalidOperationException("duplicate key (email)=(ada@example.org)",
                new System.Net.Mail.SmtpFailedRecipientException(System.Net.Mail.SmtpStatusCode.MailboxUnavailable, "grace@example.org"));
        }
        catch (InvalidOperationException caught)
        {
            e = caught;
        }
        string text = RedactingExceptionHandler.Describe(e);
        Assert.Contains("System.InvalidOperationException", text, StringComparison.Ordinal);
        Assert.Contains("SmtpFailedRecipientException", text, StringComparison.Ordinal);
        Assert.Contains(nameof(Describe_KeepsTypesAndStack_DropsEveryMessage), text, StringComparison.Ordinal);
        Assert.DoesNotContain("@example.org", text, StringComparison.Ordinal);
    }
}
