using System.Data.Common;
using Coffer.Contracts;
using Coffer.Contracts.Members;
using Coffer.Protocol.Encoding;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Server.Features.Members;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Dapper;

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
        Assert.Equal(Base32.Encode(Protocol.Signatures.Fingerprint.FromSpki(rootSpki).ToArray()), fingerprint);
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
