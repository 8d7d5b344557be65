using System.Data.Common;
using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Members;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Members;
using Coffer.Server.Features.Members;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Coffer.Server.Tests.Features.ZeroKnowledge;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Tests.Features.Members;

/// <summary>Invitations (PROTOCOL.md §8): the link is mailed to the outbox, the token is stored only hashed and never answered.</summary>
public class InvitationTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task Invite_ByOwner_WritesTheLinkToTheOutboxAndStoresOnlyTheTokenHash(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult owner = await org.SignInOwnerAsync();

        InvitationResponse invited = await InviteAsync(owner, "Ivy.Invitee@Example.org", "Ivy Invitee", "team_members");

        string eml = Assert.Single(OutboxMessages(org));
        Assert.Contains("\r\nTo: Ivy.Invitee@Example.org\r\n", eml, StringComparison.Ordinal);
        string token = InviteToken(eml);
        string fingerprint = eml[(eml.IndexOf("&org=", StringComparison.Ordinal) + 5)..].Split('\r', '\n')[0];
        byte[] rootSpki = Base64Url.Decode(TestOrganisation.Setup.Request.Organisation.Root.PublicKey);
        Assert.Equal(Base32.Encode(Fingerprint.FromSpki(rootSpki).ToArray()), fingerprint);
        if (!OperatingSystem.IsWindows())
        {
            Mailer mailer = org.Server.Services.GetRequiredService<Mailer>();
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(mailer.OutboxDirectory));
            foreach (string file in Directory.GetFiles(mailer.OutboxDirectory))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }

        await using DbConnection c = await org.Database.Database.OpenAsync(default);
        (string State, byte[]? Verifier) member = await c.QuerySingleAsync<(string, byte[]?)>(
            "SELECT state, srp_verifier FROM members WHERE id = @id", new { id = invited.MemberId });
        Assert.Equal(("invited", (byte[]?)null), member);
        byte[] hash = await c.QuerySingleAsync<byte[]>("SELECT token_hash FROM invitations WHERE id = @id", new { id = invited.InvitationId });
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(Base64Url.Decode(token)), hash);
        Assert.Equal(32, Base64Url.Decode(token).Length);

        CofferApiException again = await Assert.ThrowsAsync<CofferApiException>(() => InviteAsync(owner, "ivy.invitee@example.org", "Ivy", "guests"));
        Assert.Equal(400, again.Status);
        CofferApiException badGroup = await Assert.ThrowsAsync<CofferApiException>(() => InviteAsync(owner, "x@example.org", "X", "owners"));
        Assert.Equal(400, badGroup.Status);
    }

    [Theory, BothEngines]
    public async Task Invite_OutsideOwnersAndAdministrators_IsForbidden(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult owner = await org.SignInOwnerAsync();
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            await c.ExecuteAsync("DELETE FROM group_memberships WHERE member_id = @id", new { id = TestOrganisation.OwnerId });
        }

        CofferApiException forbidden = await Assert.ThrowsAsync<CofferApiException>(() => InviteAsync(owner, "x@example.org", "X", "team_members"));

        Assert.Equal(403, forbidden.Status);
        Assert.Empty(OutboxMessages(org));
    }

    public const string InviteePassword = "invitee's own long passphrase 7";

    [Theory, BothEngines]
    public async Task Accept_WithTheMailedLink_MakesTheMemberPendingAndKillsTheToken(Engine engine)
    {
        CapturedLogs logs = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, configure: b => b.Logging.AddProvider(logs));
        using SignInResult owner = await org.SignInOwnerAsync();
        InvitationResponse invited = await InviteAsync(owner, "ivy@example.org", "Ivy Invitee", "team_members");
        string eml = Assert.Single(OutboxMessages(org));
        InvitationLink link = InvitationLink.Parse(eml[eml.IndexOf("http", StringComparison.Ordinal)..].Split('\r', '\n')[0]);

        using InvitationAcceptanceResult accepted = await InvitationAcceptance.AcceptAsync(org.Connection, link, InviteePassword, TimeProvider.System,
            TestOrganisation.Policy, TestOrganisation.Iterations);

        Assert.Equal(invited.MemberId, accepted.Account.MemberId);
        Assert.Equal(TestOrganisation.Setup.EmergencyKit.OrganisationFingerprint, accepted.EmergencyKit.OrganisationFingerprint);
        Assert.Equal(TestOrganisation.Setup.SecretKey.AccountId, accepted.SecretKey.AccountId);
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            Assert.Equal("pending_confirmation", await c.QuerySingleAsync<string>("SELECT state FROM members WHERE id = @id", new { id = invited.MemberId }));
            Assert.NotNull(await c.QuerySingleAsync<long?>("SELECT accepted_at FROM invitations WHERE id = @id", new { id = invited.InvitationId }));
        }

        // The pending member can sign in, but has nothing certified to unlock yet.
        using SignInResult invitee = await SignIn.SignInAsync(org.Connection, "ivy@example.org", InviteePassword, accepted.SecretKey,
            "0190a1b2-0000-7000-8000-00000000d0a1", new DeviceInfoDto("Ivy's laptop", "linux-cli", "0.1.0"), TestOrganisation.Policy);
        CofferApiException noKeys = await Assert.ThrowsAsync<CofferApiException>(() =>
            invitee.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse));
        Assert.Equal(404, noKeys.Status);

        // The token works once.
        CofferApiException used = await Assert.ThrowsAsync<CofferApiException>(() => InvitationAcceptance.AcceptAsync(org.Connection, link,
            InviteePassword, TimeProvider.System, TestOrganisation.Policy, TestOrganisation.Iterations));
        Assert.Equal(403, used.Status);

        // Neither the token nor the password reaches the database or the logs.
        string database = await ZeroKnowledgeTests.DumpAsync(org.Database.Database);
        Assert.Contains("ivy@example.org", database, StringComparison.Ordinal);
        string[] secrets = [InviteePassword, link.Token, Convert.ToHexString(Base64Url.Decode(link.Token)), Convert.ToBase64String(Base64Url.Decode(link.Token)),
            accepted.SecretKey.Format()];
        foreach (string secret in secrets)
        {
            Assert.DoesNotContain(secret, database, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(logs.Lines, l => l.Contains(secret, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Theory, BothEngines]
    public async Task Accept_WrongOrExpiredTokenOrForeignFingerprint_IsRefused(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult owner = await org.SignInOwnerAsync();
        InvitationResponse invited = await InviteAsync(owner, "ivy@example.org", "Ivy Invitee", "guests");
        string eml = Assert.Single(OutboxMessages(org));
        InvitationLink link = InvitationLink.Parse(eml[eml.IndexOf("http", StringComparison.Ordinal)..].Split('\r', '\n')[0]);

        InvitationLink wrongToken = link with { Token = Base64Url.Encode(new byte[32]) };
        CofferApiException wrong = await Assert.ThrowsAsync<CofferApiException>(() => InvitationAcceptance.AcceptAsync(org.Connection, wrongToken,
            InviteePassword, TimeProvider.System, TestOrganisation.Policy, TestOrganisation.Iterations));
        Assert.Equal(403, wrong.Status);

        // A server presenting a root other than the one whose fingerprint the link carries is refused before any key is made.
        InvitationLink foreign = link with { OrganisationFingerprint = Fingerprint.FromBytes(new byte[32]) };
        await Assert.ThrowsAsync<ProvenanceException>(() => InvitationAcceptance.AcceptAsync(org.Connection, foreign,
            InviteePassword, TimeProvider.System, TestOrganisation.Policy, TestOrganisation.Iterations));

        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            await c.ExecuteAsync("UPDATE invitations SET expires_at = @past WHERE id = @id",
                new { past = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), id = invited.InvitationId });
        }
        CofferApiException expired = await Assert.ThrowsAsync<CofferApiException>(() => InvitationAcceptance.AcceptAsync(org.Connection, link,
            InviteePassword, TimeProvider.System, TestOrganisation.Policy, TestOrganisation.Iterations));
        Assert.Equal(403, expired.Status);
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            Assert.Equal("invited", await c.QuerySingleAsync<string>("SELECT state FROM members WHERE id = @id", new { id = invited.MemberId }));
        }
    }

    [Fact]
    public void InvitationLink_Parse_TakesTokenAndFingerprintFromTheFragment()
    {
        string fingerprint = Base32.Encode(new byte[32]);
        string token = Base64Url.Encode(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

        InvitationLink link = InvitationLink.Parse($"https://coffer.example.org/base/invite#token={token}&org={fingerprint}");

        Assert.Equal((new Uri("https://coffer.example.org/base/"), token), (link.ServerUrl, link.Token));
        Assert.Equal(Fingerprint.FromBytes(new byte[32]), link.OrganisationFingerprint);
        Assert.Throws<ArgumentException>(() => InvitationLink.Parse($"https://coffer.example.org/invite#token={token}"));
        Assert.Throws<ArgumentException>(() => InvitationLink.Parse($"https://coffer.example.org/invite#org={fingerprint}"));
        Assert.Throws<ArgumentException>(() => InvitationLink.Parse($"https://coffer.example.org/invite?token={token}&org={fingerprint}"));
    }

    internal static Task<InvitationResponse> InviteAsync(SignInResult admin, string email, string name, string baseGroup) =>
        admin.Session.SendAsync(HttpMethod.Post, "/api/v1/members/invitations", new InviteMemberRequest(email, name, baseGroup),
            Json.InviteMemberRequest, Json.InvitationResponse);

    internal static string[] OutboxMessages(TestOrganisation org)
    {
        string outbox = org.Server.Services.GetRequiredService<Mailer>().OutboxDirectory;
        return Directory.Exists(outbox) ? [.. Directory.GetFiles(outbox, "*.eml").Order(StringComparer.Ordinal).Select(File.ReadAllText)] : [];
    }

    internal static string InviteToken(string eml)
    {
        int start = eml.IndexOf("/invite#token=", StringComparison.Ordinal) + "/invite#token=".Length;
        return eml[start..eml.IndexOf('&', start)];
    }
}
