using System.Text;
using Coffer.Contracts;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Sync;
using Coffer.Contracts.Vaults;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Vaults;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Account;

/// <summary>
/// The account feed (PROTOCOL.md §9 "An account feed returns changed grants, groups, certificates, revocations and policies";
/// docs/adr/0014) through the real server and the SDK, on both engines.
/// </summary>
public sealed class AccountFeedTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly string[] Viewer = [VaultPermissions.ViewItems];

    // Only a guard against a hung test, not a timing assertion: the event is expected long before.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Theory, BothEngines]
    public async Task Feed_SharingThenUnsharing_TheMemberSeesTheGrantAddedThenRemoved_OthersDoNot(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember tinaMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "tina@example.org");
        using TestMember bobMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "bob@example.org");
        using Party tina = await Party.OfAsync(tinaMember);
        using Party bob = await Party.OfAsync(bobMember);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Supplier portals");
        long tinaAt = await tina.HeadAsync();
        long bobAt = await bob.HeadAsync();

        VaultGrantSummaryDto granted = await owner.Vaults.ShareAsync(vault.Id, tina.MemberId, Viewer);

        AccountFeedResponse afterShare = await tina.Feed.ReadAsync(tinaAt);
        AccountChangeDto added = Assert.Single(afterShare.Changes, c => c.SubjectId == vault.Id);
        Assert.Equal(AccountChangeKinds.VaultGrant, added.Kind);
        Assert.True(added.Version > vault.ContentVersion);
        Assert.DoesNotContain((await bob.Feed.ReadAsync(bobAt)).Changes, c => c.SubjectId == vault.Id);
        Assert.Equal(1, granted.KeySerial);

        VaultDto? rotated = await owner.Vaults.UnshareAsync(vault.Id, CertKinds.Member, tina.MemberId);

        AccountFeedResponse afterUnshare = await tina.Feed.ReadAsync(afterShare.NextSince);
        AccountChangeDto removed = Assert.Single(afterUnshare.Changes, c => c.SubjectId == vault.Id);
        Assert.Equal(AccountChangeKinds.VaultGrantRemoved, removed.Kind);
        Assert.True(removed.Seq > added.Seq);
        // The rotation that followed reached the one remaining grantee, the Owner, as a new key serial.
        Assert.Equal(2, rotated!.KeySerial);
        Assert.Contains((await owner.Feed.ReadAsync(0)).Changes, c => c is { Kind: AccountChangeKinds.VaultKey, Version: 2 } && c.SubjectId == vault.Id);
        Assert.DoesNotContain((await tina.Feed.ReadAsync(afterUnshare.NextSince)).Changes, c => c.SubjectId == vault.Id);
    }

    [Theory, BothEngines]
    public async Task Feed_GroupMembershipSharingAndRotation_ReachTheGroupsMembers_NotOthers(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember tinaMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "tina@example.org");
        using TestMember bobMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "bob@example.org");
        using TestMember carlMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "carl@example.org");
        using Party tina = await Party.OfAsync(tinaMember);
        using Party bob = await Party.OfAsync(bobMember);
        using Party carl = await Party.OfAsync(carlMember);
        using GroupClient groups = new(owner.SignIn.Session, owner.Keys);
        string groupId = await groups.CreateAsync("Finance", []);
        long tinaAt = await tina.HeadAsync();
        long bobAt = await bob.HeadAsync();
        long carlAt = await carl.HeadAsync();

        await groups.AddMemberAsync(groupId, tina.MemberId);
        await groups.AddMemberAsync(groupId, bob.MemberId);
        // The Owner is in neither group: the group's certificate, verified to the root, is what the vault key goes to.
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Finance logins");
        await owner.Vaults.ShareWithGroupAsync(vault.Id, groupId, Viewer);

        AccountFeedResponse tinaJoined = await tina.Feed.ReadAsync(tinaAt);
        Assert.Equal([(AccountChangeKinds.GroupJoined, groupId), (AccountChangeKinds.GroupChanged, groupId), (AccountChangeKinds.VaultGrant, vault.Id)],
            tinaJoined.Changes.Select(c => (c.Kind, c.SubjectId)));
        AccountFeedResponse bobJoined = await bob.Feed.ReadAsync(bobAt);
        Assert.Equal([(AccountChangeKinds.GroupJoined, groupId), (AccountChangeKinds.VaultGrant, vault.Id)], bobJoined.Changes.Select(c => (c.Kind, c.SubjectId)));
        Assert.Empty((await carl.Feed.ReadAsync(carlAt)).Changes);
        // Tina reads the vault through the group key she unlocks afresh.
        using (Party again = await Party.OfAsync(tinaMember))
        {
            Assert.Equal("""{"v":1,"name":"Finance logins"}""", Encoding.UTF8.GetString(await again.Vaults.OpenAttributesAsync(vault.Id)));
        }

        await groups.RemoveMembersAsync(groupId, [bob.MemberId]);

        AccountFeedResponse tinaRotated = await tina.Feed.ReadAsync(tinaJoined.NextSince);
        Assert.Contains(tinaRotated.Changes, c => c is { Kind: AccountChangeKinds.GroupKey, Version: 2 } && c.SubjectId == groupId);
        Assert.Contains(tinaRotated.Changes, c => c is { Kind: AccountChangeKinds.GroupCertificate, Version: 2 } && c.SubjectId == groupId);
        AccountFeedResponse bobLeft = await bob.Feed.ReadAsync(bobJoined.NextSince);
        Assert.Contains(bobLeft.Changes, c => c.Kind == AccountChangeKinds.GroupLeft && c.SubjectId == groupId);
        Assert.Contains(bobLeft.Changes, c => c.Kind == AccountChangeKinds.VaultGrantRemoved && c.SubjectId == vault.Id);
        Assert.DoesNotContain(bobLeft.Changes, c => c.Kind == AccountChangeKinds.GroupKey);
        // Someone outside the group sees only what everyone sees: the group's new certificate.
        AccountChangeDto carlSaw = Assert.Single((await carl.Feed.ReadAsync(carlAt)).Changes);
        Assert.Equal((AccountChangeKinds.GroupCertificate, groupId, 2L), (carlSaw.Kind, carlSaw.SubjectId, carlSaw.Version));
    }

    [Theory, BothEngines]
    public async Task Feed_ANewRevocationList_ReachesEveryone_AndPagesFollowWithLimit(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember tinaMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "tina@example.org");
        using Party tina = await Party.OfAsync(tinaMember);
        long ownerAt = await owner.HeadAsync();
        long tinaAt = await tina.HeadAsync();
        using GroupClient groups = new(owner.SignIn.Session, owner.Keys);

        await groups.PublishRevocationAsync([new RevocationEntry(CertKinds.Member, "0190a1b2-0000-7000-8000-0000000000aa", 1)]);

        foreach ((Party party, long at) in new[] { (owner, ownerAt), (tina, tinaAt) })
        {
            AccountChangeDto list = Assert.Single((await party.Feed.ReadAsync(at)).Changes);
            Assert.Equal((AccountChangeKinds.RevocationList, owner.Keys.Trust.OrgId, 2L), (list.Kind, list.SubjectId, list.Version));
        }

        // One change a page: the same changes, in the same order, each page saying whether another follows.
        AccountFeedResponse all = await tina.Feed.ReadAsync(0);
        Assert.True(all.Changes.Count >= 4);
        List<AccountChangeDto> paged = [];
        long since = 0;
        AccountFeedResponse page;
        do
        {
            page = await tina.Feed.ReadPageAsync(since, limit: 1);
            Assert.True(page.Changes.Count <= 1);
            paged.AddRange(page.Changes);
            since = page.NextSince;
        }
        while (page.HasMore);
        Assert.Equal(all.Changes, paged);
        Assert.Equal(all.NextSince, since);
        Assert.Equal([.. all.Changes.Select(c => c.Seq).Order()], all.Changes.Select(c => c.Seq));
    }

    [Theory, BothEngines]
    public async Task Feed_ACursorFromTheFutureOrNotACursor_Is400_AndUnconfirmedMembersAreRefused(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        long head = await owner.HeadAsync();

        foreach (string query in new[] { $"since={head + 1}", "since=-1", "since=abc", "since=1.5", "limit=0", "limit=1001", "limit=x" })
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() =>
                owner.SignIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/feed?" + query, Json.AccountFeedResponse));
            Assert.Equal(400, e.Status);
        }
        CofferApiException future = await Assert.ThrowsAsync<CofferApiException>(() => owner.Feed.ReadPageAsync(head + 1));
        Assert.Equal((400, ErrorTypes.ValidationFailed), (future.Status, future.Type));
        Assert.Equal(head, (await owner.Feed.ReadPageAsync(head)).NextSince);

        using TestMember pending = await org.AddMemberAsync(owner.SignIn, owner.Keys, "pending@example.org", confirm: false);
        using SignInResult pendingSignIn = await pending.SignInAsync();
        CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() => new AccountFeed(pendingSignIn.Session).ReadAsync(0));
        Assert.Equal((403, ErrorTypes.Forbidden), (refused.Status, refused.Type));
    }

    [Theory, BothEngines]
    public async Task Events_AnnounceAccount_WithTheNewFeedPosition_WhenAVaultIsSharedWithTheMember(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using Party owner = await Party.OwnerAsync(org);
        using TestMember tinaMember = await org.AddMemberAsync(owner.SignIn, owner.Keys, "tina@example.org");
        using Party tina = await Party.OfAsync(tinaMember);
        VaultDto vault = await owner.Vaults.CreateVaultAsync("shared", "Announced");
        long tinaAt = await tina.HeadAsync();
        using VaultEvents events = await tina.Vaults.SubscribeAsync();

        await owner.Vaults.ShareAsync(vault.Id, tina.MemberId, Viewer);

        VaultEventDto? announced;
        do
        {
            announced = await events.NextAnnouncementAsync().WaitAsync(Guard);
        }
        while (announced is { Kind: VaultEventKinds.Vault });
        Assert.Equal((VaultEventKinds.Account, (string?)null), (announced?.Kind, announced?.VaultId));
        AccountFeedResponse pulled = await tina.Feed.ReadAsync(tinaAt);
        AccountChangeDto grant = Assert.Single(pulled.Changes);
        Assert.Equal((AccountChangeKinds.VaultGrant, vault.Id), (grant.Kind, grant.SubjectId));
        Assert.Equal(grant.Seq, announced!.Version);
    }

    private sealed class Party(SignInResult signIn, UnlockedAccount keys) : IDisposable
    {
        public SignInResult SignIn { get; } = signIn;

        public UnlockedAccount Keys { get; } = keys;

        public VaultClient Vaults { get; } = new(signIn.Session, keys);

        public AccountFeed Feed { get; } = new(signIn.Session);

        public string MemberId => Keys.MemberId;

        public static async Task<Party> OwnerAsync(TestOrganisation org)
        {
            (SignInResult signIn, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
            return new Party(signIn, keys);
        }

        public static async Task<Party> OfAsync(TestMember member)
        {
            (SignInResult signIn, UnlockedAccount keys) = await member.SignInAndUnlockAsync();
            return new Party(signIn, keys);
        }

        /// <summary>Where this member's feed stands now: the cursor after everything so far.</summary>
        public async Task<long> HeadAsync() => (await Feed.ReadAsync(0)).NextSince;

        public void Dispose()
        {
            Vaults.Dispose();
            Keys.Dispose();
            SignIn.Dispose();
        }
    }
}
