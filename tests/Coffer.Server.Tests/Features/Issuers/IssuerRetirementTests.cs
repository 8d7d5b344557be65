using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Issuers;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Issuers;
using Coffer.Sdk.Members;
using Coffer.Sdk.Vaults;
using Coffer.Sdk.Wire;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Coffer.Server.Tests.Features.Groups;

namespace Coffer.Server.Tests.Features.Issuers;

/// <summary>
/// Retiring an administrator's issuers when they leave or are demoted (PROTOCOL.md §5.1 "Removing an administrator revokes their
/// issuer certificate"; docs/adr/0005 rule 4, docs/adr/0015 decision 7, docs/adr/0027): what their issuer certified is
/// re-certified by the Owner's issuer before the revocation, so nobody is locked out, and nothing signed by the revoked issuer
/// is accepted afterwards by the server or a client.
/// </summary>
public sealed class IssuerRetirementTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly byte[] Overview = Encoding.UTF8.GetBytes("""{"v":1,"category":"login","title":"Supplier portal","archived":false,"trashed":false}""");
    private static readonly byte[] Details = Encoding.UTF8.GetBytes("""{"v":1,"fields":[{"id":"p","label":"password","type":"concealed","value":"hunter2","purpose":"password"}]}""");
    private static readonly string[] Viewer = [VaultPermissions.ViewItems, VaultPermissions.ViewAndCopyPasswords];

    [Theory, BothEngines]
    public async Task RemovingAnAdministrator_RecertifiesWhatTheyCertified_TheirMemberStillReadsAndTheirIssuerIsRevoked(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using Arranged a = await ArrangeAsync(org, owner, ownerKeys);

            MemberRemoval removal = await new MemberDirectory(owner.Session).RemoveAndRetireAsync(a.Ana.MemberId, ownerKeys);

            Assert.Equal("removed", removal.Removal.Member.State);
            IssuerRetirement retirement = Assert.IsType<IssuerRetirement>(removal.Retirement);
            Assert.Equal([a.IssuerId], retirement.RevokedIssuerIds);
            Assert.Equal([a.Mia.MemberId], retirement.RecertifiedMemberIds);
            Assert.Equal([a.GroupId], retirement.RecertifiedGroupIds);
            await AssertMiaStillReadsAsync(a, ownerKeys);
            await AssertRevokedAsync(owner, ownerKeys, a);

            // A second run finds nothing left to do and publishes nothing.
            IssuerRetirement again = await new IssuerAdministration(owner.Session, ownerKeys).RetireAsync(a.Ana.MemberId);
            Assert.Equal(retirement.RevokedIssuerIds, again.RevokedIssuerIds);
            Assert.Equal(retirement.RevocationListVersion, again.RevocationListVersion);
            Assert.Empty(again.RecertifiedMemberIds);
            Assert.Empty(again.RecertifiedGroupIds);

            List<AuditEventDto> log = await GroupTests.EventsAsync(owner);
            Assert.Contains(log, e => e is { Action: "member.recertify", Outcome: "success" } && e.TargetId == a.Mia.MemberId
                && e.ActorMemberId == TestOrganisation.OwnerId);
            Assert.Contains(log, e => e is { Action: "group.recertify", Outcome: "success" } && e.TargetId == a.GroupId);
            Assert.Contains(log, e => e is { Action: "issuer.certified.list", Outcome: "success" } && e.TargetId == a.Ana.MemberId);
        }
    }

    [Theory, BothEngines]
    public async Task DemotingAnAdministrator_RetiresTheirIssuer_TheirMemberStillReads_AndTheyStillUnlockAsAPlainMember(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using Arranged a = await ArrangeAsync(org, owner, ownerKeys);
            // The rotation of the Administrators group re-wraps the key of the group Ana made, so the Owner unlocks again to hold it.
            (SignInResult again, UnlockedAccount againKeys) = await org.SignInAndUnlockOwnerAsync();
            using (again)
            using (againKeys)
            {
                using GroupClient groups = new(again.Session, againKeys);
                string administrators = (await groups.ListAsync()).Single(g => g.Kind == GroupKinds.Administrators).Id;

                IssuerRetirement retirement = Assert.Single(await groups.RemoveMembersAsync(administrators, [a.Ana.MemberId]));

                Assert.Equal(a.Ana.MemberId, retirement.HolderId);
                Assert.Equal([a.IssuerId], retirement.RevokedIssuerIds);
                Assert.Equal([a.Mia.MemberId], retirement.RecertifiedMemberIds);
                Assert.Equal([a.GroupId], retirement.RecertifiedGroupIds);
                await AssertMiaStillReadsAsync(a, againKeys);
                await AssertRevokedAsync(again, againKeys, a);
            }

            // Ana is a plain member now: her account unlocks, her issuer is reported revoked and not held.
            (SignInResult ana, UnlockedAccount anaKeys) = await a.Ana.SignInAndUnlockAsync();
            using (ana)
            using (anaKeys)
            {
                Assert.Equal(ProvenanceFailure.Revoked, anaKeys.IssuerStatus);
                Assert.Null(anaKeys.IssuerKey);
            }
        }
    }

    [Theory, BothEngines]
    public async Task AfterRetirement_AnythingSignedByTheRevokedIssuer_IsRefusedByTheServerAndByAClient(Engine engine)
    {
        LyingServer server = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: server);
        server.Server = org.Server.Services;
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using Arranged a = await ArrangeAsync(org, owner, ownerKeys);
            MemberCertificateResponse before = await MiaCertificateAsync(owner, a);
            IssuerCertificate anaIssuer = a.AnaKeys.IssuerCertificate!;

            // Retired while she is still an administrator, so the server's refusals below are about the issuer, not her rights.
            _ = await new IssuerAdministration(owner.Session, ownerKeys).RetireAsync(a.Ana.MemberId);

            // The server takes nothing new from the revoked issuer: no certificate for a new member, a group, or a re-certification.
            using TestMember nia = await org.AddMemberAsync(owner, ownerKeys, "nia@example.org", confirm: false);
            PendingMember pending = await MemberConfirmation.FetchAsync(a.AnaSignIn.Session, a.AnaKeys, nia.MemberId);
            await AssertRefusedAsync(400, ErrorTypes.ValidationFailed, () => MemberConfirmation.ConfirmAsync(a.AnaSignIn.Session, a.AnaKeys, pending,
                TimeProvider.System));
            using (GroupClient anaGroups = new(a.AnaSignIn.Session, a.AnaKeys))
            {
                await AssertRefusedAsync(400, ErrorTypes.ValidationFailed, () => anaGroups.CreateAsync("After the revocation", []));
            }
            MemberCertificate current = WireMapper.ToMemberCertificate((await MiaCertificateAsync(owner, a)).Certificate, ownerKeys.Trust.OrgId, "mia");
            MemberCertificate byRevoked = Recertified(current, a.AnaKeys.IssuerKey!, a.IssuerId, current.Record.IssuedAt + 1);
            await AssertRefusedAsync(400, ErrorTypes.ValidationFailed, () => RecertifyAsync(a.AnaSignIn, a.Mia.MemberId, byRevoked));

            // A client refuses Mia's old certificate and one the revoked issuer signs now, whatever the server serves.
            MemberCertificate old = WireMapper.ToMemberCertificate(before.Certificate, ownerKeys.Trust.OrgId, "mia");
            Assert.Equal(ProvenanceFailure.Revoked, ownerKeys.Trust.VerifyMember(old, anaIssuer));
            Assert.Equal(ProvenanceFailure.Revoked, ownerKeys.Trust.VerifyMember(byRevoked, anaIssuer));
            server.Rewrite = (path, body) => path.EndsWith("/members/" + a.Mia.MemberId + "/certificate", StringComparison.Ordinal)
                ? JsonSerializer.SerializeToNode(before, Json.MemberCertificateResponse)
                : null;
            using (GroupClient groups = new(owner.Session, ownerKeys))
            {
                ProvenanceException refused = await Assert.ThrowsAsync<ProvenanceException>(() => groups.GetMemberCertificateAsync(a.Mia.MemberId));
                Assert.Equal(ProvenanceFailure.Revoked, refused.Failure);
            }
            server.Rewrite = null;

            // Mia's own client refuses the old chain too: served her old certificate, her unlock fails; served the current one, it works.
            (SignInResult mia, _) = await a.Mia.SignInAndUnlockAsync();
            using (mia)
            {
                AccountKeysResponse keys = await mia.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
                AccountKeysResponse stale = keys with { Certificate = before.Certificate };
                using Protocol.Envelopes.EnvelopeKey auk = mia.AccountKeys.CreateAukKey();
                ProvenanceException unlock = Assert.Throws<ProvenanceException>(() =>
                    AccountUnlock.WithAuk(stale, auk, mia.Kdf.Iterations, a.Mia.Account, new Pins(), TimeProvider.System));
                Assert.Equal(ProvenanceFailure.Revoked, unlock.Failure);
            }
        }
    }

    [Theory, BothEngines]
    public async Task Recertify_OtherKeysAnOlderDateOrACallerWithoutTheRight_IsRefused_AndRecorded(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using Arranged a = await ArrangeAsync(org, owner, ownerKeys);
            MemberCertificate current = WireMapper.ToMemberCertificate((await MiaCertificateAsync(owner, a)).Certificate, ownerKeys.Trust.OrgId, "mia");
            EcdsaP256PrivateKey issuerKey = ownerKeys.IssuerKey!;
            string issuerId = ownerKeys.IssuerCertificate!.Record.IssuerId;
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            MemberCertTbs r = current.Record;

            // Keys other than Mia's current ones (Ana's), properly signed by the Owner's issuer: 400, whatever the signature.
            MemberCertificate otherKeys = Signing.CertifyMember(issuerKey, ownerKeys.Trust.OrgId, issuerId, r.MemberId, r.BaseGroup, r.KeysetId, r.KeysetSerial,
                a.AnaKeys.Keyset.EncryptionPublicKey, a.AnaKeys.Keyset.SigningPublicKey, now);
            await AssertRefusedAsync(400, ErrorTypes.ValidationFailed, () => RecertifyAsync(owner, a.Mia.MemberId, otherKeys));
            // Another base group, and a date not after the current certificate's.
            MemberCertificate otherGroup = Signing.CertifyMember(issuerKey, ownerKeys.Trust.OrgId, issuerId, r.MemberId, "guests", r.KeysetId, r.KeysetSerial,
                current.EncryptionPublicKey, current.SigningPublicKey, now);
            await AssertRefusedAsync(400, ErrorTypes.ValidationFailed, () => RecertifyAsync(owner, a.Mia.MemberId, otherGroup));
            await AssertRefusedAsync(400, ErrorTypes.ValidationFailed, () => RecertifyAsync(owner, a.Mia.MemberId,
                Recertified(current, issuerKey, issuerId, r.IssuedAt)));
            // Signed by an issuer the caller does not hold (Ana's, sent by the Owner).
            await AssertRefusedAsync(400, ErrorTypes.ValidationFailed, () => RecertifyAsync(owner, a.Mia.MemberId,
                Recertified(current, a.AnaKeys.IssuerKey!, a.IssuerId, now)));

            // Mia (no manage_members) may not re-certify or list; an Administrator may not re-certify an Owner.
            (SignInResult mia, UnlockedAccount miaKeys) = await a.Mia.SignInAndUnlockAsync();
            using (mia)
            using (miaKeys)
            {
                await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => RecertifyAsync(mia, a.Mia.MemberId, Recertified(current, issuerKey, issuerId, now)));
                await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => mia.Session.SendAsync(HttpMethod.Get,
                    "/api/v1/issuers/certified?holder=" + a.Ana.MemberId, Json.CertifiedSubjectsResponse));
            }
            MemberCertificate ownersOwn = ownerKeys.Certificate;
            await AssertRefusedAsync(403, ErrorTypes.Forbidden, () => RecertifyAsync(a.AnaSignIn, TestOrganisation.OwnerId,
                Recertified(ownersOwn, a.AnaKeys.IssuerKey!, a.IssuerId, Math.Max(now, ownersOwn.Record.IssuedAt + 1))));

            // Nothing changed: Mia's certificate is still the one Ana's issuer made, and a proper re-certification goes through.
            Assert.Equal(a.IssuerId, (await MiaCertificateAsync(owner, a)).Certificate.IssuerId);
            await RecertifyAsync(owner, a.Mia.MemberId, Recertified(current, issuerKey, issuerId, Math.Max(now, r.IssuedAt + 1)));
            Assert.Equal(issuerId, (await MiaCertificateAsync(owner, a)).Certificate.IssuerId);

            List<AuditEventDto> log = await GroupTests.EventsAsync(owner);
            // The four bad certificates and the Administrator's attempt on the Owner (Mia is stopped by the permission check before the endpoint).
            Assert.Equal(5, log.Count(e => e is { Action: "member.recertify", Outcome: "refused" }));
            Assert.Single(log, e => e is { Action: "member.recertify", Outcome: "success" });
        }
    }

    [Theory, BothEngines]
    public async Task Retire_WhenTheServerServesAKeyThatDisagreesWithThePins_RefusesAndChangesNothing(Engine engine)
    {
        LyingServer server = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: server);
        server.Server = org.Server.Services;
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            // Sharing a vault with Mia pinned her keys in the Owner's client.
            using Arranged a = await ArrangeAsync(org, owner, ownerKeys);
            MemberCertificate real = WireMapper.ToMemberCertificate((await MiaCertificateAsync(owner, a)).Certificate, ownerKeys.Trust.OrgId, "mia");
            MemberCertTbs r = real.Record;
            // The departing administrator, colluding with the server, certifies keys of their own choosing under Mia's name.
            MemberCertificate substituted = Signing.CertifyMember(a.AnaKeys.IssuerKey!, ownerKeys.Trust.OrgId, a.IssuerId, r.MemberId, r.BaseGroup, r.KeysetId,
                r.KeysetSerial, a.AnaKeys.Keyset.EncryptionPublicKey, a.AnaKeys.Keyset.SigningPublicKey, r.IssuedAt);
            server.Rewrite = (path, body) =>
            {
                if (!path.StartsWith("/api/v1/issuers/certified", StringComparison.Ordinal))
                {
                    return null;
                }
                JsonArray members = body["members"]!.AsArray();
                int i = members.Select((m, index) => (m, index)).Single(x => x.m!["subjectId"]!.GetValue<string>() == a.Mia.MemberId).index;
                members[i] = JsonSerializer.SerializeToNode(WireMapper.ToDto(substituted), Json.SubjectCertificateDto);
                return body;
            };

            ProvenanceException refused = await Assert.ThrowsAsync<ProvenanceException>(() =>
                new IssuerAdministration(owner.Session, ownerKeys).RetireAsync(a.Ana.MemberId));
            server.Rewrite = null;

            Assert.Equal(ProvenanceFailure.Mismatch, refused.Failure);
            // Nothing was signed or revoked: Mia's and the group's certificates are still Ana's issuer's, and her issuer is valid.
            Assert.Equal(a.IssuerId, (await MiaCertificateAsync(owner, a)).Certificate.IssuerId);
            Assert.Equal(a.IssuerId, (await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/groups/" + a.GroupId, Json.GroupDetailResponse)).Certificate.IssuerId);
            using GroupClient groups = new(owner.Session, ownerKeys);
            RevocationList list = await groups.RefreshRevocationListAsync();
            Assert.DoesNotContain(new RevocationEntry(CertKinds.Issuer, a.IssuerId, 0), list.Record.Entries);
            List<AuditEventDto> log = await GroupTests.EventsAsync(owner);
            Assert.DoesNotContain(log, e => e.Action is "member.recertify" or "group.recertify");
        }
    }

    /// <summary>
    /// Ana, an administrator with her own issuer, confirms Mia and makes a group with Mia in it; the Owner shares one vault with Mia
    /// and one with the group, an item in each.
    /// </summary>
    private static async Task<Arranged> ArrangeAsync(TestOrganisation org, SignInResult owner, UnlockedAccount ownerKeys)
    {
        TestMember ana = await org.AddMemberAsync(owner, ownerKeys, "ana@example.org", "team_members", true, GroupKinds.Administrators);
        (SignInResult first, UnlockedAccount firstKeys) = await ana.SignInAndUnlockAsync();
        using (first)
        using (firstKeys)
        {
            _ = await new IssuerAdministration(first.Session, firstKeys).RequestAsync();
        }
        IssuerAdministration administration = new(owner.Session, ownerKeys);
        IssuerCertificate issuer = await administration.CertifyAsync(Assert.Single(await administration.ListRequestsAsync()));

        (SignInResult anaSignIn, UnlockedAccount anaKeys) = await ana.SignInAndUnlockAsync();
        TestMember mia = await org.AddMemberAsync(anaSignIn, anaKeys, "mia@example.org");
        string groupId;
        using (GroupClient groups = new(anaSignIn.Session, anaKeys))
        {
            groupId = await groups.CreateAsync("Social media", []);
            await groups.AddMemberAsync(groupId, mia.MemberId);
        }
        using VaultClient vaults = new(owner.Session, ownerKeys);
        VaultDto direct = await vaults.CreateVaultAsync("shared", "Shared with Mia");
        ItemDto directItem = await vaults.CreateItemAsync(direct.Id, Overview, Details);
        _ = await vaults.ShareAsync(direct.Id, mia.MemberId, Viewer);
        VaultDto throughGroup = await vaults.CreateVaultAsync("shared", "Shared with the group");
        ItemDto groupItem = await vaults.CreateItemAsync(throughGroup.Id, Overview, Details);
        _ = await vaults.ShareWithGroupAsync(throughGroup.Id, groupId, Viewer);
        return new Arranged(ana, anaSignIn, anaKeys, issuer.Record.IssuerId, mia, groupId, (direct.Id, directItem.Id), (throughGroup.Id, groupItem.Id));
    }

    /// <summary>Mia signs in on her own, unlocks (every chain verified from the pinned root) and reads both vaults.</summary>
    private static async Task AssertMiaStillReadsAsync(Arranged a, UnlockedAccount ownerKeys)
    {
        (SignInResult mia, UnlockedAccount miaKeys) = await a.Mia.SignInAndUnlockAsync();
        using (mia)
        using (miaKeys)
        using (VaultClient vaults = new(mia.Session, miaKeys))
        {
            Assert.Equal(ownerKeys.IssuerCertificate!.Record.IssuerId, miaKeys.Certificate.Record.IssuerId);
            Assert.True(miaKeys.Groups.ContainsKey(a.GroupId));
            Assert.Equal(ownerKeys.IssuerCertificate!.Record.IssuerId, miaKeys.Groups[a.GroupId].Certificate.Record.IssuerId);
            Assert.Equal(Details, (await vaults.GetItemAsync(a.Direct.VaultId, a.Direct.ItemId)).Details);
            Assert.Equal(Details, (await vaults.GetItemAsync(a.ThroughGroup.VaultId, a.ThroughGroup.ItemId)).Details);
        }
    }

    /// <summary>The newest revocation list, as a client verifies it, names Ana's issuer, and issuer listings leave it out.</summary>
    private static async Task AssertRevokedAsync(SignInResult owner, UnlockedAccount ownerKeys, Arranged a)
    {
        using GroupClient groups = new(owner.Session, ownerKeys);
        RevocationList list = await groups.RefreshRevocationListAsync();
        Assert.Contains(new RevocationEntry(CertKinds.Issuer, a.IssuerId, 0), list.Record.Entries);
        Assert.DoesNotContain(await new IssuerAdministration(owner.Session, ownerKeys).ListAsync(), c => c.Record.IssuerId == a.IssuerId);
        CertifiedSubjectsResponse left = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/issuers/certified?holder=" + a.Ana.MemberId,
            Json.CertifiedSubjectsResponse);
        Assert.Empty(left.Members);
        Assert.Empty(left.Groups);
    }

    private static Task<MemberCertificateResponse> MiaCertificateAsync(SignInResult caller, Arranged a) =>
        caller.Session.SendAsync(HttpMethod.Get, "/api/v1/members/" + a.Mia.MemberId + "/certificate", Json.MemberCertificateResponse);

    /// <summary>The same keys certified anew by <paramref name="issuerKey"/> at <paramref name="issuedAt"/>.</summary>
    private static MemberCertificate Recertified(MemberCertificate current, EcdsaP256PrivateKey issuerKey, string issuerId, long issuedAt)
    {
        MemberCertTbs r = current.Record;
        return Signing.CertifyMember(issuerKey, r.OrgId, issuerId, r.MemberId, r.BaseGroup, r.KeysetId, r.KeysetSerial, current.EncryptionPublicKey,
            current.SigningPublicKey, issuedAt);
    }

    private static async Task RecertifyAsync(SignInResult caller, string memberId, MemberCertificate certificate)
    {
        byte[] answer = await caller.Session.ExchangeAsync(HttpMethod.Post, "/api/v1/members/" + memberId + "/recertify",
            JsonSerializer.SerializeToUtf8Bytes(new RecertifyRequest(WireMapper.ToDto(certificate)), Json.RecertifyRequest), CancellationToken.None);
        Assert.Empty(answer);
    }

    private static async Task AssertRefusedAsync(int status, string type, Func<Task> call)
    {
        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(call);
        Assert.Equal((status, type), (e.Status, e.Type));
    }

    private sealed record Arranged(TestMember Ana, SignInResult AnaSignIn, UnlockedAccount AnaKeys, string IssuerId, TestMember Mia, string GroupId,
        (string VaultId, string ItemId) Direct, (string VaultId, string ItemId) ThroughGroup) : IDisposable
    {
        public void Dispose()
        {
            AnaKeys.Dispose();
            AnaSignIn.Dispose();
            Mia.Dispose();
            Ana.Dispose();
        }
    }
}
