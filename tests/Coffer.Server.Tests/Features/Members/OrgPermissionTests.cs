using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Members;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Members;

/// <summary>POLICY.md "Authorisation": built-in groups carry fixed permissions, a member's rights are the union of their groups'.</summary>
public sealed class OrgPermissionTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task AdminEndpoints_ForATeamMember_AreForbiddenAndForTheOwnerAllowed(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            using SignInResult member = await tina.SignInAsync();

            CofferApiException invite = await Assert.ThrowsAsync<CofferApiException>(() => member.Session.SendAsync(HttpMethod.Post,
                "/api/v1/members/invitations", new InviteMemberRequest("x@example.org", "X", "guests"), Json.InviteMemberRequest, Json.InvitationResponse));
            CofferApiException audit = await Assert.ThrowsAsync<CofferApiException>(() =>
                member.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/events", Json.AuditEventsResponse));
            Assert.Equal((403, 403), (invite.Status, audit.Status));
            Assert.Contains("manage_members", invite.Problem?.Detail, StringComparison.Ordinal);

            AuditEventsResponse events = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/events", Json.AuditEventsResponse);
            Assert.NotEmpty(events.Events);
            PermissionStore permissions = org.Server.Services.GetRequiredService<PermissionStore>();
            Assert.Equal([OrgPermissions.CreateVaults], await permissions.OfAsync(tina.MemberId, default));
            Assert.Equal(OrgPermissions.All.Order(), (await permissions.OfAsync(TestOrganisation.OwnerId, default)).Order());
        }
    }

    [Theory]
    [InlineData("owners", 9)]
    [InlineData("administrators", 8)]
    [InlineData("team_members", 1)]
    [InlineData("guests", 0)]
    [InlineData("recovery", 1)]
    public void BuiltInGroups_CarryPolicyMatrix(string kind, int count)
    {
        string[] granted = [.. BuiltInPermissions.Of(kind, "manage_policies")];
        Assert.Equal(count, granted.Length);
        Assert.Equal(kind is "owners" or "recovery", granted.Contains(OrgPermissions.RecoverAccounts));
        Assert.Equal(["manage_groups", "view_activity_log"], BuiltInPermissions.Of("custom", "manage_groups view_activity_log"));
    }
}
