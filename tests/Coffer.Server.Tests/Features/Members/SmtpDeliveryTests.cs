using Coffer.Contracts;
using Coffer.Contracts.Members;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Members;
using Coffer.Server.Features.Members;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Members;

/// <summary>Mail through a real SMTP server (Debian's aiosmtpd) when <c>Coffer:Smtp:Host</c> is set, instead of the outbox.</summary>
public class SmtpDeliveryTests
{
    [Theory, BothEngines]
    public async Task Invite_WithSmtpConfigured_DeliversAWorkingLinkToTheInvitee_AndNothingToTheOutbox(Engine engine)
    {
        await using SmtpSink sink = await SmtpSink.StartAsync();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, settings: new Dictionary<string, string?>
        {
            ["Coffer:Smtp:Host"] = "127.0.0.1",
            ["Coffer:Smtp:Port"] = sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Coffer:Smtp:EnableSsl"] = "false",
            ["Coffer:Smtp:From"] = "coffer@ministry.example",
        });
        (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (keys)
        {
            await owner.Session.SendAsync(HttpMethod.Post, "/api/v1/members/invitations",
                new InviteMemberRequest("Dana.Member@Example.org", "Dana Member", "team_members"), CofferJsonContext.Default.InviteMemberRequest,
                CofferJsonContext.Default.InvitationResponse);

            // The owner's first sign-in on this device was announced to them by mail as well (new-device notice); the other is the invitation.
            SmtpMessage[] delivered = await sink.WaitForAsync(2);
            Assert.Single(delivered, m => m.Subject == "A new device signed in to your Coffer account");
            SmtpMessage mail = Assert.Single(delivered, m => m.RcptTos.Contains("Dana.Member@Example.org"));
            Assert.Equal(["Dana.Member@Example.org"], mail.RcptTos);
            Assert.Equal("coffer@ministry.example", mail.MailFrom);
            Assert.Contains("Dana.Member@Example.org", mail.To, StringComparison.Ordinal);
            Assert.Equal("You are invited to Coffer", mail.Subject);
            string url = mail.Body.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("http", StringComparison.Ordinal));
            InvitationLink link = InvitationLink.Parse(url);

            // The mailed link is the real one: the invitee accepts with it.
            using InvitationAcceptanceResult accepted = await InvitationAcceptance.AcceptAsync(org.Connection, link, TestMember.Password, TimeProvider.System,
                TestOrganisation.Policy, TestOrganisation.Iterations);
            Assert.Equal("Dana.Member@Example.org", accepted.Account.Email);
            Assert.Empty(InvitationTests.OutboxMessages(org));
            Assert.False(Directory.Exists(org.Server.Services.GetRequiredService<Mailer>().OutboxDirectory));
        }
    }
}
