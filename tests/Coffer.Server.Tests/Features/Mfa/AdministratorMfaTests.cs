using Coffer.Contracts.Errors;
using Coffer.Contracts.Members;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Mfa;
using Coffer.Sdk.Policies;
using Coffer.Server.Features.Policies;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Coffer.Server.Tests.Features.Members;

namespace Coffer.Server.Tests.Features.Mfa;

/// <summary>POLICY.md "MFA for everyone, always for administrators": an administrator without a factor cannot use admin functions.</summary>
public sealed class AdministratorMfaTests
{
    [Theory, BothEngines]
    public async Task PromotedMidSession_WithoutAFactor_AdminEndpointsNameTheFix_UntilTheSessionPresentsOne(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow);   // certificates the SDK signs carry the real time
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult ownerSignIn = owner;
        PolicyClient policies = new(owner.Session, keys);
        OrganisationPolicy current = await policies.GetAsync();
        await policies.UpdateAsync(current.Version, current.Settings with { RequireMfa = PolicyValues.RequireMfaAdmins });
        using TestMember carol = await org.AddMemberAsync(owner, keys, "carol@example.org");
        using SignInResult signIn = await carol.SignInAsync();
        Assert.False(signIn.Mfa.Required);   // a team member needs no factor under require_mfa = admins

        // Promoted while her session lives: the session did not present a factor, so admin endpoints refuse it.
        using (GroupClient groups = new(owner.Session, keys))
        {
            await groups.AddMemberAsync(keys.GroupOfKind(GroupKinds.Administrators)!.GroupId, carol.MemberId);
        }
        CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() =>
            InvitationTests.InviteAsync(signIn, "dave@example.org", "Dave Newcomer", "team_members"));
        Assert.Equal((403, ErrorTypes.AdminMfaRequired), (refused.Status, refused.Type));
        Assert.Contains("coffer mfa add-totp", refused.Problem?.Detail, StringComparison.Ordinal);

        // Enrolling and confirming a first factor in this session presents it: the same call now works.
        MfaClient mfa = new(signIn.Session);
        TotpEnrolment enrolment = await mfa.EnrolTotpAsync("Carol's phone");
        carol.Authenticator.Load(enrolment.Uri);
        await mfa.ConfirmTotpAsync(enrolment.FactorId, carol.Authenticator.NextCode().Code);
        InvitationResponse invited = await InvitationTests.InviteAsync(signIn, "dave@example.org", "Dave Newcomer", "team_members");

        Assert.False(string.IsNullOrEmpty(invited.MemberId));
    }
}
