using System.Data.Common;
using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Policies;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
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
    // The invitee's authenticator app (docs/adr/0022): their first sign-in on each test's server enrols it.
    private static readonly Coffer.Sdk.Mfa.TotpAuthenticator InviteeAuthenticator = new();

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
    public async Task Accept_PasswordShorterThanThePolicysMinimum_IsRefusedBeforeAnythingIsSent_AndTheLinkStillWorks(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult owner = await org.SignInOwnerAsync();
        PolicyDocumentResponse current = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/policy", Json.PolicyDocumentResponse);
        await owner.Session.SendAsync(HttpMethod.Put, "/api/v1/policy", new PolicyUpdateRequest(current.Version, current.Settings with { MinPasswordLength = 40 }),
            Json.PolicyUpdateRequest, Json.PolicyDocumentResponse);
        InvitationResponse invited = await InviteAsync(owner, "lena@example.org", "Lena Long", "team_members");
        string eml = Assert.Single(OutboxMessages(org));
        InvitationLink link = InvitationLink.Parse(eml[eml.IndexOf("http", StringComparison.Ordinal)..].Split('\r', '\n')[0]);

        ArgumentException tooShort = await Assert.ThrowsAsync<ArgumentException>(() => InvitationAcceptance.AcceptAsync(org.Connection, link,
            InviteePassword, TimeProvider.System, TestOrganisation.Policy, TestOrganisation.Iterations));
        using InvitationAcceptanceResult accepted = await InvitationAcceptance.AcceptAsync(org.Connection, link,
            InviteePassword + ", and then some more", TimeProvider.System, TestOrganisation.Policy, TestOrganisation.Iterations);

        Assert.StartsWith($"Use at least 40 characters (this password has {InviteePassword.Length}).", tooShort.Message, StringComparison.Ordinal);
        Assert.Equal(invited.MemberId, accepted.Account.MemberId);
    }

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
            "0190a1b2-0000-7000-8000-00000000d0a1", new DeviceInfoDto("Ivy's laptop", "linux-cli", "0.1.0"), InviteeAuthenticator, TestOrganisation.Policy);
        CofferApiException noKeys = await Assert.ThrowsAsync<CofferApiException>(() =>
            invitee.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse));
        Assert.Equal(404, noKeys.Status);
        // Nor can they do anything else but look after their own sessions until an administrator confirms them.
        CofferApiException noVaults = await Assert.ThrowsAsync<CofferApiException>(() =>
            invitee.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Json.VaultListResponse));
        Assert.Equal(403, noVaults.Status);
        Assert.Equal(Contracts.Errors.ErrorTypes.Forbidden, noVaults.Type);
        Assert.Single((await invitee.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse)).Sessions);

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

    [Theory, BothEngines]
    public async Task InviteAcceptConfirm_EndToEnd_GivesTheInviteeTheTeamMembersKeyWithVerifiedProvenance(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult owner = await org.SignInOwnerAsync();
        InvitationResponse invited = await InviteAsync(owner, "ivy@example.org", "Ivy Invitee", "team_members");
        string eml = Assert.Single(OutboxMessages(org));
        InvitationLink link = InvitationLink.Parse(eml[eml.IndexOf("http", StringComparison.Ordinal)..].Split('\r', '\n')[0]);
        using InvitationAcceptanceResult accepted = await InvitationAcceptance.AcceptAsync(org.Connection, link, InviteePassword, TimeProvider.System,
            TestOrganisation.Policy, TestOrganisation.Iterations);
        using SignInResult invitee = await SignInInviteeAsync(org, accepted);

        using UnlockedAccount admin = await UnlockAsync(owner, TestOrganisation.Setup.Account);
        PendingMember pending = await MemberConfirmation.FetchAsync(owner.Session, admin, invited.MemberId);
        Assert.Equal(("ivy@example.org", "team_members", 6), (pending.Email, pending.BaseGroup, pending.ShortAuthenticationString.Count));
        CofferApiException notAdmin = await Assert.ThrowsAsync<CofferApiException>(() =>
            invitee.Session.SendAsync(HttpMethod.Get, $"/api/v1/members/{invited.MemberId}/keys", Json.PendingMemberKeysResponse));
        Assert.Equal(403, notAdmin.Status);

        // A certificate the caller's issuer key did not sign is refused, and the member stays pending.
        using (EcdsaP256PrivateKey stranger = EcdsaP256.GenerateKey())
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            string issuerId = admin.IssuerCertificate!.Record.IssuerId;
            MemberCertificate forged = Signing.CertifyMember(stranger, admin.Trust.OrgId, issuerId, pending.MemberId, pending.BaseGroup,
                pending.KeysetId, pending.KeysetSerial, pending.EncryptionPublicKey, pending.SigningPublicKey, now);
            ConfirmMemberRequest bad = new(new SubjectCertificateDto(pending.MemberId, "member", pending.BaseGroup, pending.KeysetId, pending.KeysetSerial,
                Base64Url.Encode(pending.EncryptionPublicKey), Base64Url.Encode(pending.SigningPublicKey), issuerId, now, Base64Url.Encode(forged.Signature)), []);
            CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() => owner.Session.ExchangeAsync(HttpMethod.Post,
                $"/api/v1/members/{pending.MemberId}/confirm", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(bad, Json.ConfirmMemberRequest), default));
            Assert.Equal(400, refused.Status);
        }
        await MemberConfirmation.ConfirmAsync(owner.Session, admin, pending, TimeProvider.System);

        // The invitee's own client computes the same SAS from its own keys, and now unlocks with provenance checked to the pinned root.
        using SignInResult again = await SignInInviteeAsync(org, accepted);
        using UnlockedAccount member = await UnlockAsync(again, accepted.Account);
        Assert.Equal(pending.ShortAuthenticationString, Crypto.Generators.ShortAuthenticationString.Compute(accepted.Account.OrganisationFingerprint.AsSpan(),
            member.MemberId, Fingerprint.FromSpki(member.Keyset.EncryptionPublicKey).AsSpan(), Fingerprint.FromSpki(member.Keyset.SigningPublicKey).AsSpan()));
        UnlockedGroup team = Assert.IsType<UnlockedGroup>(member.GroupOfKind("team_members"));
        Assert.Equal(admin.GroupOfKind("team_members")!.GroupId, team.GroupId);
        Assert.Null(member.GroupOfKind("owners"));
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            Assert.Equal("active", await c.QuerySingleAsync<string>("SELECT state FROM members WHERE id = @id", new { id = invited.MemberId }));
        }
        CofferApiException twice = await Assert.ThrowsAsync<CofferApiException>(() =>
            MemberConfirmation.ConfirmAsync(owner.Session, admin, pending, TimeProvider.System));
        Assert.Equal(409, twice.Status);
    }

    private static Task<SignInResult> SignInInviteeAsync(TestOrganisation org, InvitationAcceptanceResult accepted) =>
        SignIn.SignInAsync(org.Connection, accepted.Account.Email, InviteePassword, accepted.SecretKey,
            "0190a1b2-0000-7000-8000-00000000d0a2", new DeviceInfoDto("Ivy's laptop", "linux-cli", "0.1.0"), InviteeAuthenticator, TestOrganisation.Policy);

    private static async Task<UnlockedAccount> UnlockAsync(SignInResult signIn, RememberedAccount account)
    {
        AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
        using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
        return AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, account, new Pins(), TimeProvider.System);
    }

    internal static Task<InvitationResponse> InviteAsync(SignInResult admin, string email, string name, string baseGroup) =>
        admin.Session.SendAsync(HttpMethod.Post, "/api/v1/members/invitations", new InviteMemberRequest(email, name, baseGroup),
            Json.InviteMemberRequest, Json.InvitationResponse);

    /// <summary>The invitations in the outbox (sign-ins of new devices are mailed too: see DeviceTests).</summary>
    internal static string[] OutboxMessages(TestOrganisation org)
    {
        string outbox = org.Server.Services.GetRequiredService<Mailer>().OutboxDirectory;
        return Directory.Exists(outbox)
            ? [.. Directory.GetFiles(outbox, "*.eml").Order(StringComparer.Ordinal).Select(File.ReadAllText)
                .Where(m => m.Contains("\r\nSubject: You are invited to Coffer\r\n", StringComparison.Ordinal))]
            : [];
    }

    internal static string InviteToken(string eml)
    {
        int start = eml.IndexOf("/invite#token=", StringComparison.Ordinal) + "/invite#token=".Length;
        return eml[start..eml.IndexOf('&', start)];
    }
}
