using System.Text;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Members;
using Coffer.Sdk.Vaults;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Members;

/// <summary>
/// The member directory and lifecycle (POLICY.md "Authorisation" and "Data handling: Leaving", ARCHITECTURE.md "Member",
/// docs/adr/0009): who sees whom, suspension that stops access at once, reactivation, removal, and the rules that keep
/// the last Owner and keep Administrators off Owners.
/// </summary>
public sealed class MemberLifecycleTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly byte[] Overview = Encoding.UTF8.GetBytes("""{"v":1,"category":"login","title":"Item","archived":false,"trashed":false}""");
    private static readonly byte[] Details = Encoding.UTF8.GetBytes("""{"v":1,"fields":[]}""");

    private static readonly string[] Readable = [VaultPermissions.ViewItems, VaultPermissions.ViewAndCopyPasswords];

    // Only a guard against a hung test, not a timing assertion: the stream ends long before.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Theory, BothEngines]
    public async Task Suspend_EndsSessionsAndStreamsAtOnce_RefusesSignIn_ListsWhatToRotate_AndReactivateRestores(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            MemberDirectory directory = new(owner.Session);
            string teamGroup = Assert.Single((await directory.GetAsync(tina.MemberId)).Groups).Id;

            // Three shared vaults: one granted to Tina, one to Team Members, one only the Owner reads.
            using VaultClient ownerVaults = new(owner.Session, ownerKeys);
            VaultDto direct = await ownerVaults.CreateVaultAsync("shared", "Granted to Tina");
            ItemDto first = await ownerVaults.CreateItemAsync(direct.Id, Overview, Details);
            ItemDto second = await ownerVaults.CreateItemAsync(direct.Id, Overview, Details);
            await ownerVaults.TrashItemAsync(direct.Id, second.Id);
            VaultDto team = await ownerVaults.CreateVaultAsync("shared", "Team Members");
            ItemDto teamItem = await ownerVaults.CreateItemAsync(team.Id, Overview, Details);
            VaultDto ownersOnly = await ownerVaults.CreateVaultAsync("shared", "Owners only");
            await ownerVaults.CreateItemAsync(ownersOnly.Id, Overview, Details);
            await ownerVaults.ShareAsync(direct.Id, tina.MemberId, Readable);
            await ownerVaults.ShareWithGroupAsync(team.Id, teamGroup, Readable);

            (SignInResult tinaIn, UnlockedAccount tinaKeys) = await tina.SignInAndUnlockAsync();
            using (tinaIn)
            using (tinaKeys)
            {
                using VaultClient tinaVaults = new(tinaIn.Session, tinaKeys);
                using VaultEvents events = await tinaVaults.SubscribeAsync();
                Assert.Equal([TestOrganisation.OwnerId, tina.MemberId], (await new MemberDirectory(tinaIn.Session).ListAsync()).Select(m => m.Id));

                MemberLifecycleResponse report = await directory.SuspendAsync(tina.MemberId);

                Assert.Equal(("suspended", 1), (report.Member.State, report.SessionsEnded));
                await Assert.ThrowsAsync<CofferSessionExpiredException>(() => new MemberDirectory(tinaIn.Session).ListAsync());
                Assert.Null(await events.NextAsync().WaitAsync(Guard));
                CofferApiException signIn = await Assert.ThrowsAsync<CofferApiException>(() => tina.SignInAsync());
                Assert.Equal((403, ErrorTypes.AccountSuspended), (signIn.Status, signIn.Type));

                // POLICY.md "Leaving": the shared vaults she could read and every item in them, by id only.
                Assert.Equal([direct.Id, team.Id], report.Vaults.Select(v => v.VaultId).Order(StringComparer.Ordinal));
                ReadableVaultDto granted = report.Vaults.Single(v => v.VaultId == direct.Id);
                Assert.True(granted.Direct);
                Assert.Empty(granted.ThroughGroups);
                Assert.Equal([first.Id, second.Id], granted.ItemIds.Order(StringComparer.Ordinal));
                ReadableVaultDto throughTeam = report.Vaults.Single(v => v.VaultId == team.Id);
                Assert.False(throughTeam.Direct);
                Assert.Equal([teamGroup], throughTeam.ThroughGroups);
                Assert.Equal([teamItem.Id], throughTeam.ItemIds);
                Assert.Equal([teamGroup], report.Groups);
            }

            CofferApiException again = await Assert.ThrowsAsync<CofferApiException>(() => directory.SuspendAsync(tina.MemberId));
            Assert.Equal((409, ErrorTypes.MemberState), (again.Status, again.Type));
            Assert.Equal("suspended", (await directory.GetAsync(tina.MemberId)).State);

            MemberDto back = await directory.ReactivateAsync(tina.MemberId);
            Assert.Equal("active", back.State);
            CofferApiException twice = await Assert.ThrowsAsync<CofferApiException>(() => directory.ReactivateAsync(tina.MemberId));
            Assert.Equal((409, ErrorTypes.MemberState), (twice.Status, twice.Type));
            using SignInResult returned = await tina.SignInAsync();
            Assert.Contains(await new MemberDirectory(returned.Session).ListAsync(), m => m.Id == tina.MemberId);

            List<AuditEventDto> log = await EventsAsync(org, owner);
            Assert.Contains(log, e => Is(e, AuditActions.MemberSuspend, AuditOutcomes.Success, tina.MemberId) && e.Details!.Contains("\"sessionsEnded\":1", StringComparison.Ordinal));
            Assert.Contains(log, e => Is(e, AuditActions.MemberSuspend, AuditOutcomes.Refused, tina.MemberId) && e.Details!.Contains("member-state", StringComparison.Ordinal));
            Assert.Contains(log, e => Is(e, AuditActions.MemberReactivate, AuditOutcomes.Success, tina.MemberId));
            Assert.Contains(log, e => Is(e, AuditActions.MemberReactivate, AuditOutcomes.Refused, tina.MemberId));
            Assert.Contains(log, e => e.Action == AuditActions.SignIn && e.Outcome == AuditOutcomes.Refused && e.TargetId == tina.MemberId);
            Assert.All(log.Where(e => e.Action.StartsWith("member.s", StringComparison.Ordinal) || e.Action == AuditActions.MemberReactivate),
                e => Assert.Equal((TestOrganisation.OwnerId, owner.Session.SessionId), (e.ActorMemberId, e.SessionId)));
        }
    }

    [Theory, BothEngines]
    public async Task OwnersAndAdministrators_LastOwnerIsKept_OnlyAnOwnerActsOnThem_NobodyOnThemselves(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            using TestMember ana = await org.AddMemberAsync(owner, ownerKeys, "ana@example.org", "team_members", true, "administrators");
            MemberDirectory directory = new(owner.Session);
            string ownerId = TestOrganisation.OwnerId;

            // The only Owner, even acting on themselves.
            await AssertRefusedAsync(409, ErrorTypes.LastOwner, () => directory.SuspendAsync(ownerId));
            await AssertRefusedAsync(409, ErrorTypes.LastOwner, () => directory.RemoveAsync(ownerId));

            // An Administrator manages members, but not Owners (nor Administrators, themselves included).
            using SignInResult admin = await ana.SignInAsync();
            MemberDirectory adminDirectory = new(admin.Session);
            await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => adminDirectory.SuspendAsync(ownerId));
            await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => adminDirectory.RemoveAsync(ownerId));
            await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => adminDirectory.ReactivateAsync(ownerId));
            await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => adminDirectory.SuspendAsync(ana.MemberId));
            Assert.Equal("suspended", (await adminDirectory.SuspendAsync(tina.MemberId)).Member.State);
            Assert.Equal("active", (await adminDirectory.ReactivateAsync(tina.MemberId)).State);

            // Refusals changed nothing: the Owner is active and still signed in.
            Assert.Equal("active", (await directory.GetAsync(ownerId)).State);
            Assert.Contains((await directory.GetAsync(ownerId)).Groups, g => g.Kind == "owners");

            // With a second Owner, neither acts on themselves; the first may suspend the second, and is then the last again.
            using TestMember olga = await org.AddMemberAsync(owner, ownerKeys, "olga@example.org", "team_members", true, "owners");
            using SignInResult second = await olga.SignInAsync();
            await AssertRefusedAsync(409, ErrorTypes.OwnMembership, () => new MemberDirectory(second.Session).SuspendAsync(olga.MemberId));
            await AssertRefusedAsync(409, ErrorTypes.OwnMembership, () => new MemberDirectory(second.Session).RemoveAsync(olga.MemberId));
            await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => adminDirectory.SuspendAsync(olga.MemberId));
            Assert.Equal("suspended", (await directory.SuspendAsync(ana.MemberId)).Member.State);
            Assert.Equal("active", (await directory.ReactivateAsync(ana.MemberId)).State);
            Assert.Equal("suspended", (await directory.SuspendAsync(olga.MemberId)).Member.State);
            await AssertRefusedAsync(409, ErrorTypes.LastOwner, () => directory.SuspendAsync(ownerId));
            Assert.Equal("removed", (await directory.RemoveAsync(olga.MemberId)).Member.State);
            await AssertRefusedAsync(409, ErrorTypes.LastOwner, () => directory.RemoveAsync(ownerId));
            Assert.Equal("active", (await directory.GetAsync(ownerId)).State);

            List<AuditEventDto> log = await EventsAsync(org, owner);
            Assert.Contains(log, e => Is(e, AuditActions.MemberSuspend, AuditOutcomes.Refused, ownerId) && e.ActorMemberId == ownerId
                && e.Details!.Contains("last-owner", StringComparison.Ordinal));
            Assert.Contains(log, e => Is(e, AuditActions.MemberRemove, AuditOutcomes.Refused, ownerId) && e.ActorMemberId == ana.MemberId
                && e.Details!.Contains("forbidden", StringComparison.Ordinal));
            Assert.Contains(log, e => Is(e, AuditActions.MemberSuspend, AuditOutcomes.Refused, olga.MemberId) && e.ActorMemberId == olga.MemberId
                && e.Details!.Contains("own-membership", StringComparison.Ordinal));
            Assert.Contains(log, e => Is(e, AuditActions.MemberSuspend, AuditOutcomes.Success, tina.MemberId) && e.ActorMemberId == ana.MemberId);
            Assert.Contains(log, e => Is(e, AuditActions.MemberRemove, AuditOutcomes.Success, olga.MemberId) && e.ActorMemberId == ownerId);
        }
    }

    [Theory, BothEngines]
    public async Task Directory_ATeamMemberSeesActiveMembersOnly_AndIsForbiddenEveryLifecycleCall(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            using TestMember gus = await org.AddMemberAsync(owner, ownerKeys, "gus@example.org", "guests");
            using TestMember pia = await org.AddMemberAsync(owner, ownerKeys, "pia@example.org", confirm: false);
            using TestMember sam = await org.AddMemberAsync(owner, ownerKeys, "sam@example.org");
            InvitationResponse ivy = await InviteAsync(owner, "ivy@example.org", "guests");
            MemberDirectory directory = new(owner.Session);
            await directory.SuspendAsync(sam.MemberId);
            string ownerId = TestOrganisation.OwnerId;

            using SignInResult member = await tina.SignInAsync();
            MemberDirectory teamView = new(member.Session);
            IReadOnlyList<MemberDto> seen = await teamView.ListAsync();
            Assert.Equal([ownerId, tina.MemberId, gus.MemberId], seen.Select(m => m.Id));
            Assert.All(seen, m => Assert.Equal("active", m.State));
            Assert.Equal(("gus@example.org", "guests"), (seen[2].Email, seen[2].BaseGroup));
            Assert.Equal("guests", Assert.Single(seen[2].Groups).Kind);
            Assert.Equal("owners", seen[0].Groups[0].Kind);
            foreach (string hidden in new[] { sam.MemberId, pia.MemberId, ivy.MemberId, Ids.New(), "not-an-id", tina.MemberId.ToUpperInvariant() })
            {
                await AssertRefusedAsync(404, ErrorTypes.NotFound, () => teamView.GetAsync(hidden));
            }
            Assert.Equal(gus.MemberId, (await teamView.GetAsync(gus.MemberId)).Id);

            foreach (string target in new[] { gus.MemberId, sam.MemberId, ownerId, tina.MemberId, Ids.New(), "not-an-id" })
            {
                await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => teamView.SuspendAsync(target));
                await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => teamView.ReactivateAsync(target));
                await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => teamView.RemoveAsync(target));
            }

            // An administrator sees everyone not removed, in every state, and pages through them.
            IReadOnlyList<MemberDto> all = await directory.ListAsync();
            Assert.Equal(
                [(ownerId, "active"), (tina.MemberId, "active"), (gus.MemberId, "active"), (pia.MemberId, "pending_confirmation"),
                 (sam.MemberId, "suspended"), (ivy.MemberId, "invited")],
                all.Select(m => (m.Id, m.State)));
            Assert.Equal(["team_members", "team_members", "guests", "team_members", "team_members", "guests"], all.Select(m => m.BaseGroup));
            Assert.Empty(all.Single(m => m.Id == pia.MemberId).Groups);
            MemberListResponse page = await directory.ListPageAsync(limit: 4);
            Assert.Equal((4, true), (page.Members.Count, page.More));
            MemberListResponse rest = await directory.ListPageAsync(page.Members[^1].Id, 4);
            Assert.Equal((2, false), (rest.Members.Count, rest.More));
            Assert.Equal(all.Select(m => m.Id), page.Members.Concat(rest.Members).Select(m => m.Id));
            await AssertRefusedAsync(400, ErrorTypes.ValidationFailed, () => directory.ListPageAsync("nope"));
            await AssertRefusedAsync(400, ErrorTypes.ValidationFailed, () => directory.ListPageAsync(limit: 100_000));

            // Unknown and malformed ids are 404 for an administrator too; states that do not allow a change are 409.
            foreach (string unknown in new[] { Ids.New(), "not-an-id", tina.MemberId.ToUpperInvariant() })
            {
                await AssertRefusedAsync(404, ErrorTypes.NotFound, () => directory.SuspendAsync(unknown));
                await AssertRefusedAsync(404, ErrorTypes.NotFound, () => directory.ReactivateAsync(unknown));
                await AssertRefusedAsync(404, ErrorTypes.NotFound, () => directory.RemoveAsync(unknown));
                await AssertRefusedAsync(404, ErrorTypes.NotFound, () => directory.GetAsync(unknown));
            }
            await AssertRefusedAsync(409, ErrorTypes.MemberState, () => directory.SuspendAsync(pia.MemberId));
            await AssertRefusedAsync(409, ErrorTypes.MemberState, () => directory.SuspendAsync(ivy.MemberId));
            await AssertRefusedAsync(409, ErrorTypes.MemberState, () => directory.ReactivateAsync(gus.MemberId));
            Assert.Equal(all.Select(Describe), (await directory.ListAsync()).Select(Describe));

            List<AuditEventDto> log = await EventsAsync(org, owner);
            Assert.Contains(log, e => e.Action == AuditActions.MemberList && e.ActorMemberId == tina.MemberId);
            Assert.Contains(log, e => Is(e, AuditActions.MemberRead, AuditOutcomes.Success, gus.MemberId) && e.ActorMemberId == tina.MemberId);
            Assert.Contains(log, e => e.Action == AuditActions.MemberRead && e.Outcome == AuditOutcomes.Refused && e.ActorMemberId == tina.MemberId);
        }
    }

    [Theory, BothEngines]
    public async Task Remove_EndsAccess_KeepsThePersonalVault_FreesTheEmail_AndListsWhatToRotate(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            MemberDirectory directory = new(owner.Session);
            string teamGroup = Assert.Single((await directory.GetAsync(tina.MemberId)).Groups).Id;
            using VaultClient ownerVaults = new(owner.Session, ownerKeys);
            VaultDto shared = await ownerVaults.CreateVaultAsync("shared", "Shared with Tina");
            ItemDto item = await ownerVaults.CreateItemAsync(shared.Id, Overview, Details);
            await ownerVaults.ShareAsync(shared.Id, tina.MemberId, Readable);

            (SignInResult tinaIn, UnlockedAccount tinaKeys) = await tina.SignInAndUnlockAsync();
            using (tinaIn)
            using (tinaKeys)
            {
                using VaultClient tinaVaults = new(tinaIn.Session, tinaKeys);
                VaultDto personal = Assert.Single(await tinaVaults.ListVaultsAsync(), v => v.Kind == "personal");   // made at acceptance
                await tinaVaults.CreateItemAsync(personal.Id, Overview, Details);

                MemberLifecycleResponse report = await directory.RemoveAsync(tina.MemberId);

                Assert.Equal(("removed", 1), (report.Member.State, report.SessionsEnded));
                Assert.Empty(report.Member.Groups);
                ReadableVaultDto readable = Assert.Single(report.Vaults);
                Assert.Equal((shared.Id, true, item.Id), (readable.VaultId, readable.Direct, Assert.Single(readable.ItemIds)));
                Assert.Equal([teamGroup], report.Groups);
                await Assert.ThrowsAsync<CofferSessionExpiredException>(() => tinaVaults.ListVaultsAsync());

                // Her personal vault stays, with its key wrapped to her, for recovery; everything else of hers is gone.
                Assert.Equal(1, await CountAsync(org, "SELECT count(*) FROM vaults WHERE id = @id AND kind = 'personal'", new { id = personal.Id }));
                Assert.Equal(1, await CountAsync(org, "SELECT count(*) FROM vault_grants WHERE vault_id = @id AND principal_id = @member",
                    new { id = personal.Id, member = tina.MemberId }));
                Assert.Equal(1, await CountAsync(org, "SELECT count(*) FROM items WHERE vault_id = @id", new { id = personal.Id }));
            }
            Assert.Equal(0, await CountAsync(org, "SELECT count(*) FROM vault_grants WHERE vault_id = @id AND principal_id = @member",
                new { id = shared.Id, member = tina.MemberId }));
            Assert.Equal(0, await CountAsync(org, "SELECT count(*) FROM group_memberships WHERE member_id = @member", new { member = tina.MemberId }));
            Assert.Equal(0, await CountAsync(org, "SELECT count(*) FROM devices WHERE member_id = @member AND revoked_at IS NULL",
                new { member = tina.MemberId }));

            // She can no longer sign in (to the server the address is unknown now) and is gone from the directory.
            CofferApiException signIn = await Assert.ThrowsAsync<CofferApiException>(() => tina.SignInAsync());
            Assert.Equal((401, ErrorTypes.SignInFailed), (signIn.Status, signIn.Type));
            Assert.DoesNotContain(await directory.ListAsync(), m => m.Id == tina.MemberId);
            await AssertRefusedAsync(404, ErrorTypes.NotFound, () => directory.GetAsync(tina.MemberId));
            await AssertRefusedAsync(404, ErrorTypes.NotFound, () => directory.ReactivateAsync(tina.MemberId));
            await AssertRefusedAsync(404, ErrorTypes.NotFound, () => directory.RemoveAsync(tina.MemberId));

            // What the answer listed can be rotated: no grant of hers is left on the shared vault.
            VaultDto rotated = await ownerVaults.RotateAsync(shared.Id);
            Assert.Equal(2, rotated.KeySerial);

            // The address may be invited again; removing an invited member kills the invitation.
            InvitationResponse again = await InviteAsync(owner, "Tina@Example.org", "team_members");
            Assert.NotEqual(tina.MemberId, again.MemberId);
            InvitationResponse ivy = await InviteAsync(owner, "ivy@example.org", "guests");
            MemberLifecycleResponse revoked = await directory.RemoveAsync(ivy.MemberId);
            Assert.Equal(("removed", 0), (revoked.Member.State, revoked.SessionsEnded));
            Assert.Empty(revoked.Vaults);
            string eml = Assert.Single(InvitationTests.OutboxMessages(org), m => m.Contains("ivy@example.org", StringComparison.Ordinal));
            InvitationLink link = InvitationLink.Parse(eml[eml.IndexOf("http", StringComparison.Ordinal)..].Split('\r', '\n')[0]);
            CofferApiException dead = await Assert.ThrowsAsync<CofferApiException>(() => InvitationAcceptance.AcceptAsync(org.Connection, link,
                TestMember.Password, TimeProvider.System, TestOrganisation.Policy, TestOrganisation.Iterations));
            Assert.Equal(403, dead.Status);
            Assert.NotEqual(ivy.MemberId, (await InviteAsync(owner, "ivy@example.org", "guests")).MemberId);

            List<AuditEventDto> log = await EventsAsync(org, owner);
            Assert.Contains(log, e => Is(e, AuditActions.MemberRemove, AuditOutcomes.Success, tina.MemberId) && e.ActorMemberId == TestOrganisation.OwnerId
                && e.Details!.Contains("\"grantsRemoved\":1", StringComparison.Ordinal));
            Assert.Contains(log, e => Is(e, AuditActions.MemberRemove, AuditOutcomes.Success, ivy.MemberId));
            Assert.Contains(log, e => Is(e, AuditActions.MemberRemove, AuditOutcomes.Refused, tina.MemberId) && e.Details!.Contains("not-found", StringComparison.Ordinal));
        }
    }

    private static bool Is(AuditEventDto e, string action, string outcome, string target) =>
        e.Action == action && e.Outcome == outcome && e.TargetKind == AuditTargets.Member && e.TargetId == target;

    private static async Task AssertRefusedAsync<T>(int status, string type, Func<Task<T>> call)
    {
        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(call);
        Assert.Equal((status, type), (e.Status, e.Type));
    }

    private static Task<InvitationResponse> InviteAsync(SignInResult admin, string email, string baseGroup) =>
        admin.Session.SendAsync(HttpMethod.Post, "/api/v1/members/invitations", new InviteMemberRequest(email, email.Split('@')[0], baseGroup),
            Json.InviteMemberRequest, Json.InvitationResponse);

    private static async Task<long> CountAsync(TestOrganisation org, string sql, object args)
    {
        await using System.Data.Common.DbConnection c = await org.Database.Database.OpenAsync(CancellationToken.None);
        return await c.ScalarAsync<long>(null, sql, args, CancellationToken.None);
    }

    private static async Task<List<AuditEventDto>> EventsAsync(TestOrganisation org, SignInResult reader)
    {
        await org.Server.Services.GetRequiredService<AuditLog>().FlushAsync(CancellationToken.None);
        List<AuditEventDto> events = [];
        AuditEventsResponse page;
        long after = 0;
        do
        {
            page = await reader.Session.SendAsync(HttpMethod.Get, $"/api/v1/audit/events?after={after}&limit=5000", Json.AuditEventsResponse);
            events.AddRange(page.Events);
            after = page.Events.Count > 0 ? page.Events[^1].Seq : after;
        }
        while (page.HasMore);
        return events;
    }

    private static string Describe(MemberDto m) => $"{m.Id} {m.State} {m.BaseGroup} {string.Join(',', m.Groups.Select(g => g.Id))}";
}
