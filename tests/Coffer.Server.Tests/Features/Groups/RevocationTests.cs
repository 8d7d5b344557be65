using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Revocations;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Groups;

/// <summary>The revocation list (PROTOCOL.md §5.1, §5.2 <c>revocation</c>; docs/adr/0005 rule 5, docs/adr/0010).</summary>
public sealed class RevocationTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task Publish_OnlyTheNextVersion_SignedByTheRootOrAnIssuerTheCallerHolds_NeverWithdrawing(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using GroupClient groups = new(owner.Session, ownerKeys);
            RevocationListResponse first = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/revocations", Json.RevocationListResponse);
            Assert.Equal((1L, null, 0), (first.List.Version, first.List.IssuerId, first.Issuers.Count));

            string issuerId = ownerKeys.IssuerCertificate!.Record.IssuerId;
            RevocationEntry someone = new(CertKinds.Member, "0190a1b2-0000-7000-8000-0000000000aa", 1);
            RevocationList second = await groups.PublishRevocationAsync([someone]);
            RevocationListResponse stored = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/revocations", Json.RevocationListResponse);
            Assert.Equal((2L, issuerId), (stored.List.Version, stored.List.IssuerId));
            Assert.Equal([someone.ToFieldText()], stored.List.Entries);
            Assert.Contains(stored.Issuers, i => i.IssuerId == issuerId);
            Assert.Equal(2, ownerKeys.Trust.Revocations!.Record.ListVersion);

            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            using EcdsaP256PrivateKey stranger = EcdsaP256.GenerateKey();
            (RevocationListDto List, int Status)[] refused =
            [
                // Not the next version: the same again, and one skipped.
                (Signed(ownerKeys.IssuerKey!, issuerId, ownerKeys, 2, now, [someone]), 409),
                (Signed(ownerKeys.IssuerKey!, issuerId, ownerKeys, 4, now, [someone]), 409),
                // Signed by a key that is neither the root nor an issuer: claiming the root, and claiming the Owner's issuer.
                (Signed(stranger, null, ownerKeys, 3, now, [someone]), 400),
                (Signed(stranger, issuerId, ownerKeys, 3, now, [someone]), 400),
                // Withdrawing an entry, revoking its own signer, or issued an hour ago.
                (Signed(ownerKeys.IssuerKey!, issuerId, ownerKeys, 3, now, []), 400),
                (Signed(ownerKeys.IssuerKey!, issuerId, ownerKeys, 3, now, [someone, new RevocationEntry(CertKinds.Issuer, issuerId, 0)]), 400),
                (Signed(ownerKeys.IssuerKey!, issuerId, ownerKeys, 3, now - 3_600_000, [someone]), 400),
            ];
            foreach ((RevocationListDto list, int status) in refused)
            {
                CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() =>
                    owner.Session.SendAsync(HttpMethod.Post, "/api/v1/revocations", list, Json.RevocationListDto, Json.ProblemDto));
                Assert.Equal((status, status == 409 ? ErrorTypes.StaleVersion : ErrorTypes.ValidationFailed), (e.Status, e.Type));
            }

            // The root signs too (Owners hold it), and the list grows by one version.
            RevocationList third = await groups.PublishRevocationAsync([], signWithRoot: true);
            Assert.Equal((3L, (string?)null), (third.Record.ListVersion, third.IssuerId));
            Assert.Equal(second.Record.Entries, third.Record.Entries);

            List<AuditEventDto> log = await GroupTests.EventsAsync(owner);
            Assert.Equal(2, log.Count(e => e is { Action: "revocation.publish", Outcome: "success" }));
            Assert.Equal(refused.Length, log.Count(e => e is { Action: "revocation.publish", Outcome: "refused" }));
        }
    }

    [Theory, BothEngines]
    public async Task RevokedMemberCertificate_IsHonouredByUnlockAndBeforeAnyWrap(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            using TestMember tom = await org.AddMemberAsync(owner, ownerKeys, "tom@example.org");
            using GroupClient groups = new(owner.Session, ownerKeys);
            string groupId = await groups.CreateAsync("Contractors", []);

            await groups.PublishRevocationAsync([new RevocationEntry(CertKinds.Member, tom.MemberId, 1)]);

            ProvenanceException wrap = await Assert.ThrowsAsync<ProvenanceException>(() => groups.AddMemberAsync(groupId, tom.MemberId));
            Assert.Equal(ProvenanceFailure.Revoked, wrap.Failure);
            await groups.AddMemberAsync(groupId, tina.MemberId);

            // Tom's own client refuses the certificate naming him; Tina's unlocks under the newest list.
            using SignInResult tomSignIn = await tom.SignInAsync();
            ProvenanceException own = await Assert.ThrowsAsync<ProvenanceException>(() => TestOrganisation.UnlockAsync(tomSignIn, tom.Account));
            Assert.Equal(ProvenanceFailure.Revoked, own.Failure);
            (SignInResult tinaSignIn, UnlockedAccount tinaKeys) = await tina.SignInAndUnlockAsync();
            using (tinaSignIn)
            using (tinaKeys)
            {
                Assert.Equal(2, tinaKeys.Trust.Revocations!.Record.ListVersion);
                Assert.True(tinaKeys.Groups.ContainsKey(groupId));
            }
        }
    }

    [Theory, BothEngines]
    public async Task StaleRevocationList_MoreThanADayOld_StopsEveryWrap(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            string adminsId = ownerKeys.GroupOfKind(GroupKinds.Administrators)!.GroupId;
            // The same client a day and a bit later: the newest list it can get (version 1, from setup) is too old to wrap anything.
            ManualClock later = new(DateTimeOffset.UtcNow + TimeSpan.FromHours(25));
            using GroupClient groups = new(owner.Session, ownerKeys, later);
            ProvenanceException stale = await Assert.ThrowsAsync<ProvenanceException>(() => groups.AddMemberAsync(adminsId, tina.MemberId));
            Assert.Contains("24 hours", stale.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(tina.MemberId, Assert.Single(await groups.ListAsync(), g => g.Id == adminsId).MemberIds!);
        }
    }

    private static RevocationListDto Signed(EcdsaP256PrivateKey key, string? issuerId, UnlockedAccount account, long version, long issuedAt,
        IEnumerable<RevocationEntry> entries)
    {
        RevocationList list = Signing.SignRevocationList(key, issuerId, account.Trust.OrgId, version, issuedAt, entries);
        return new RevocationListDto(version, issuedAt, [.. list.Record.Entries.Select(e => e.ToFieldText())], issuerId, Base64Url.Encode(list.Signature));
    }
}
