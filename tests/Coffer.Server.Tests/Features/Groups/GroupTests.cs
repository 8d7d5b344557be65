using System.Data.Common;
using System.Security.Cryptography;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Vaults;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Dapper;

namespace Coffer.Server.Tests.Features.Groups;

/// <summary>
/// Groups (PROTOCOL.md §5 "From a group", §5.1; POLICY.md "Authorisation"; docs/adr/0006, docs/adr/0010): custom groups made
/// and certified on an administrator's client, membership as signed wraps, removal only with a key rotation that leaves the
/// removed member out of every new key, and the rules on who may change which group.
/// </summary>
public sealed class GroupTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task CustomGroup_CreatedAndFilledByTheOwner_EveryMemberOpensItsKeyAndHoldsItsPermissions(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            using TestMember tom = await org.AddMemberAsync(owner, ownerKeys, "tom@example.org");
            using GroupClient groups = new(owner.Session, ownerKeys);
            string groupId = await groups.CreateAsync("Auditors", [OrgPermissions.ViewActivityLog]);
            (SignInResult tinaSignIn, UnlockedAccount tinaBefore) = await tina.SignInAndUnlockAsync();
            using (tinaSignIn)
            using (tinaBefore)
            {
                CofferApiException before = await Assert.ThrowsAsync<CofferApiException>(() =>
                    tinaSignIn.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/events", Json.AuditEventsResponse));
                Assert.Equal(403, before.Status);
            }

            await groups.AddMemberAsync(groupId, tina.MemberId);
            await groups.AddMemberAsync(groupId, tom.MemberId);

            GroupSummaryDto listed = Assert.Single(await groups.ListAsync(), g => g.Id == groupId);
            Assert.Equal(("custom", "Auditors", 2L, 1L), (listed.Kind, listed.Name, listed.MemberCount, listed.KeySerial));
            Assert.Equal([OrgPermissions.ViewActivityLog], listed.Permissions);
            Assert.Equal([tina.MemberId, tom.MemberId], listed.MemberIds!.Order(StringComparer.Ordinal));
            foreach (TestMember member in new[] { tina, tom })
            {
                (SignInResult signIn, UnlockedAccount keys) = await member.SignInAndUnlockAsync();
                using (signIn)
                using (keys)
                {
                    // The group key opened through a wrap signed by the Owner, whose certificate chains to the pinned root.
                    UnlockedGroup auditors = keys.Groups[groupId];
                    Assert.Equal((GroupKinds.Custom, 1L), (auditors.Kind, auditors.Certificate.Record.KeysetSerial));
                    Assert.Equal(ownerKeys.IssuerCertificate!.Record.IssuerId, auditors.Certificate.Record.IssuerId);
                    // A custom group's permissions join the member's (union): the activity log is now readable.
                    AuditEventsResponse events = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/events", Json.AuditEventsResponse);
                    Assert.NotEmpty(events.Events);
                    // Members see the group, not who else is in it.
                    GroupSummaryDto seen = Assert.Single((await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/groups", Json.GroupListResponse)).Groups,
                        g => g.Id == groupId);
                    Assert.Null(seen.MemberIds);
                }
            }

            // Every Owner reaches the group through the Owners group's wrap (docs/adr/0006), without being a member.
            using (UnlockedAccount again = await TestOrganisation.UnlockAsync(owner, TestOrganisation.Setup.Account))
            {
                Assert.True(again.Groups.ContainsKey(groupId));
            }
            await groups.UpdateAsync(groupId, "Log readers", [OrgPermissions.ViewActivityLog, OrgPermissions.CreateVaults]);
            GroupSummaryDto renamed = Assert.Single(await groups.ListAsync(), g => g.Id == groupId);
            Assert.Equal(("Log readers", 2), (renamed.Name, renamed.Permissions.Count));
            CofferApiException builtIn = await Assert.ThrowsAsync<CofferApiException>(() =>
                groups.UpdateAsync(ownerKeys.GroupOfKind(GroupKinds.Administrators)!.GroupId, "Admins", [OrgPermissions.CreateVaults]));
            Assert.Equal(400, builtIn.Status);

            List<AuditEventDto> log = await EventsAsync(owner);
            Assert.Contains(log, e => e is { Action: "group.create", Outcome: "success" } && e.TargetId == groupId);
            Assert.Equal(2, log.Count(e => e is { Action: "group.member.add", Outcome: "success" } && e.TargetId == groupId));
            Assert.Contains(log, e => e is { Action: "group.update", Outcome: "success" } && e.TargetId == groupId);
            Assert.Contains(log, e => e is { Action: "group.update", Outcome: "refused" });
        }
    }

    [Theory, BothEngines]
    public async Task RemoveMember_WithRotation_TheRemovedKeyOpensNothingNewAndTheRemainingMemberFollowsThePin(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            using TestMember tom = await org.AddMemberAsync(owner, ownerKeys, "tom@example.org");
            using GroupClient groups = new(owner.Session, ownerKeys);
            string groupId = await groups.CreateAsync("Social media", []);
            await groups.AddMemberAsync(groupId, tina.MemberId);
            await groups.AddMemberAsync(groupId, tom.MemberId);
            (string vaultId, byte[] vaultKey) = await GrantVaultToGroupAsync(owner, ownerKeys, groupId);

            (SignInResult tomSignIn, UnlockedAccount tomKeys) = await tom.SignInAndUnlockAsync();
            (SignInResult tinaSignIn, UnlockedAccount tinaKeys) = await tina.SignInAndUnlockAsync();
            using (tomSignIn)
            using (tomKeys)
            using (tinaSignIn)
            using (tinaKeys)
            {
                Keyset tomsOldGroupKey = tomKeys.Groups[groupId].Keyset;
                Assert.Equal(vaultKey, Unwrap(tomsOldGroupKey, await GroupGrantAsync(tomSignIn, vaultId)));

                await groups.RemoveMembersAsync(groupId, [tom.MemberId]);

                // The re-wrapped grant is for the new group key: Tom's old group key does not open it, Tina's new one does.
                SignedWrapDto rewrapped = await GroupGrantAsync(tinaSignIn, vaultId);
                Assert.Equal(2, rewrapped.RecipientKeysetSerial);
                Assert.Null(KeyWrap.Unwrap(tomsOldGroupKey.EncryptionKey, Base64Url.Decode(rewrapped.Wrap)));
                CofferApiException gone = await Assert.ThrowsAsync<CofferApiException>(() =>
                    tomSignIn.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults/" + vaultId, Json.VaultDto));
                Assert.Equal(404, gone.Status);
                using (UnlockedAccount tomAfter = await TestOrganisation.UnlockAsync(tomSignIn, tom.Account))
                {
                    Assert.False(tomAfter.Groups.ContainsKey(groupId));
                }

                // Tina's client pinned serial 1; the succession signed by the old group key moves the pin to serial 2.
                using UnlockedAccount tinaAfter = await UnlockAsync(tinaSignIn, tina.Account, tinaKeys.Pins);
                UnlockedGroup rotated = tinaAfter.Groups[groupId];
                Assert.Equal(2L, rotated.Certificate.Record.KeysetSerial);
                Assert.False(rotated.Keyset.EncryptionPublicKey.AsSpan().SequenceEqual(tomsOldGroupKey.EncryptionPublicKey));
                Assert.Equal(vaultKey, Unwrap(rotated.Keyset, rewrapped));
                Assert.Equal(2, tinaAfter.Pins.SubjectKeys(groupId)!.KeysetSerial);

                // A succession the old key did not sign does not move the pin.
                await using (DbConnection c = await org.Database.Database.OpenAsync(default))
                {
                    await c.ExecuteAsync("UPDATE certificates SET succession_signature = @forged WHERE kind = 'group' AND subject_id = @groupId AND keyset_serial = 2",
                        new { forged = RandomNumberGenerator.GetBytes(64), groupId });
                }
                ProvenanceException refused = await Assert.ThrowsAsync<ProvenanceException>(() => UnlockAsync(tinaSignIn, tina.Account, tinaKeys.Pins));
                Assert.Equal(ProvenanceFailure.Mismatch, refused.Failure);
            }

            List<AuditEventDto> log = await EventsAsync(owner);
            Assert.Contains(log, e => e is { Action: "group.rotate", Outcome: "success" } && e.TargetId == groupId);
            Assert.Contains(log, e => e is { Action: "group.member.remove", Outcome: "success" } && e.TargetId == tom.MemberId);
        }
    }

    [Theory, BothEngines]
    public async Task Rotate_PartialSetOrStaleSerial_IsRefusedAndWritesNothing(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            using TestMember tom = await org.AddMemberAsync(owner, ownerKeys, "tom@example.org");
            using TestMember tess = await org.AddMemberAsync(owner, ownerKeys, "tess@example.org");
            using GroupClient groups = new(owner.Session, ownerKeys);
            string groupId = await groups.CreateAsync("Suppliers", []);
            foreach (TestMember m in new[] { tina, tom, tess })
            {
                await groups.AddMemberAsync(groupId, m.MemberId);
            }
            _ = await GrantVaultToGroupAsync(owner, ownerKeys, groupId);

            using GroupRotation rotation = await groups.PrepareRemovalAsync(groupId, [tom.MemberId]);
            RotateGroupRequest complete = rotation.Request;
            RotateGroupRequest[] partial =
            [
                complete with { MemberWraps = [.. complete.MemberWraps.Skip(1)] },
                complete with { ManagerWraps = [.. complete.ManagerWraps.Skip(1)] },
                complete with { VaultGrants = [] },
                complete with { MemberWraps = [.. complete.MemberWraps, complete.MemberWraps[0]] },
                complete with { RemovedMemberIds = [ownerKeys.MemberId] },
            ];
            foreach (RotateGroupRequest request in partial)
            {
                rotation.Request = request;
                CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => groups.CommitRotationAsync(rotation));
                Assert.Equal((400, ErrorTypes.ValidationFailed), (e.Status, e.Type));
            }
            rotation.Request = complete with { ExpectedKeySerial = 2 };
            CofferApiException stale = await Assert.ThrowsAsync<CofferApiException>(() => groups.CommitRotationAsync(rotation));
            Assert.Equal((409, ErrorTypes.StaleVersion), (stale.Status, stale.Type));

            await using (DbConnection c = await org.Database.Database.OpenAsync(default))
            {
                Assert.Equal(1, await c.QuerySingleAsync<long>("SELECT max(serial) FROM keysets WHERE group_id = @groupId", new { groupId }));
                Assert.Equal(3, await c.QuerySingleAsync<long>("SELECT count(*) FROM group_memberships WHERE group_id = @groupId AND key_serial = 1", new { groupId }));
                Assert.Equal(1, await c.QuerySingleAsync<long>("SELECT recipient_keyset_serial FROM vault_grants WHERE principal_id = @groupId", new { groupId }));
            }

            rotation.Request = complete;
            await groups.CommitRotationAsync(rotation);
            // The same rotation again names a serial that is no longer current.
            CofferApiException again = await Assert.ThrowsAsync<CofferApiException>(() => owner.Session.SendAsync(HttpMethod.Post,
                $"/api/v1/groups/{groupId}/rotate", complete, Json.RotateGroupRequest, Json.ProblemDto));
            Assert.Equal(409, again.Status);
            GroupSummaryDto after = Assert.Single(await groups.ListAsync(), g => g.Id == groupId);
            Assert.Equal((2L, 2L), (after.KeySerial, after.MemberCount));
            Assert.DoesNotContain(tom.MemberId, after.MemberIds!);

            List<AuditEventDto> log = await EventsAsync(owner);
            // Every refusal is accounted for: the partial sets, the stale serial and the replayed rotation.
            Assert.Equal(partial.Length + 2, log.Count(e => e is { Action: "group.rotate", Outcome: "refused" } && e.TargetId == groupId));
        }
    }

    [Theory, BothEngines]
    public async Task OwnersGroup_SecondOwnerAddedAndRemoved_EveryManagedKeyAndTheRootSealFollowAndTheLastOwnerStays(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember olga = await org.AddMemberAsync(owner, ownerKeys, "olga@example.org");
            using GroupClient groups = new(owner.Session, ownerKeys);
            string custom = await groups.CreateAsync("Press office", []);
            string ownersId = ownerKeys.GroupOfKind(GroupKinds.Owners)!.GroupId;
            await groups.AddMemberAsync(ownersId, olga.MemberId);
            (SignInResult olgaSignIn, UnlockedAccount olgaKeys) = await olga.SignInAndUnlockAsync();
            using (olgaSignIn)
            using (olgaKeys)
            {
                Assert.NotNull(olgaKeys.RootKey);
                Assert.True(olgaKeys.Groups.ContainsKey(custom));
                Assert.Equal(6, olgaKeys.Groups.Count);
            }

            await groups.RemoveMembersAsync(ownersId, [olga.MemberId]);

            // The remaining Owner, with the pins of before, follows the Owners key to serial 2 and through it opens every group and the root.
            using (UnlockedAccount after = await UnlockAsync(owner, TestOrganisation.Setup.Account, ownerKeys.Pins))
            {
                Assert.Equal(2L, after.GroupOfKind(GroupKinds.Owners)!.Certificate.Record.KeysetSerial);
                Assert.Equal(6, after.Groups.Count);
                Assert.NotNull(after.RootKey);
            }
            (SignInResult olgaAgain, UnlockedAccount olgaAfter) = await olga.SignInAndUnlockAsync();
            using (olgaAgain)
            using (olgaAfter)
            {
                Assert.Null(olgaAfter.RootKey);
                Assert.Null(olgaAfter.GroupOfKind(GroupKinds.Owners));
                Assert.False(olgaAfter.Groups.ContainsKey(custom));
            }

            // The last Owner cannot leave the Owners group.
            using UnlockedAccount current = await TestOrganisation.UnlockAsync(owner, TestOrganisation.Setup.Account);
            using GroupClient fresh = new(owner.Session, current);
            CofferApiException last = await Assert.ThrowsAsync<CofferApiException>(() => fresh.RemoveMembersAsync(ownersId, [current.MemberId]));
            Assert.Equal((409, ErrorTypes.LastOwner), (last.Status, last.Type));
        }
    }

    [Theory, BothEngines]
    public async Task Administrator_ManagesCustomGroupsOnly_WithinTheRightsTheyHold(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember ada = await org.AddMemberAsync(owner, ownerKeys, "ada@example.org");
            using TestMember tom = await org.AddMemberAsync(owner, ownerKeys, "tom@example.org");
            using GroupClient groups = new(owner.Session, ownerKeys);
            string plain = await groups.CreateAsync("Web team", [OrgPermissions.CreateVaults]);
            string recovering = await groups.CreateAsync("Recovery helpers", [OrgPermissions.RecoverAccounts]);
            await groups.AddMemberAsync(ownerKeys.GroupOfKind(GroupKinds.Administrators)!.GroupId, ada.MemberId);

            (SignInResult adaSignIn, UnlockedAccount adaKeys) = await ada.SignInAndUnlockAsync();
            using (adaSignIn)
            using (adaKeys)
            {
                using GroupClient admin = new(adaSignIn.Session, adaKeys);
                // Administrators hold custom groups' keys through the Administrators group (docs/adr/0006) and may fill them...
                await admin.AddMemberAsync(plain, tom.MemberId);
                // ...but not with rights they lack themselves, and not the Owners or Administrators groups.
                CofferApiException rights = await Assert.ThrowsAsync<CofferApiException>(() => admin.AddMemberAsync(recovering, tom.MemberId));
                CofferApiException owners = await Assert.ThrowsAsync<CofferApiException>(() =>
                    admin.AddMemberAsync(adaKeys.GroupOfKind(GroupKinds.Administrators)!.GroupId, tom.MemberId));
                Assert.Equal((403, 403), (rights.Status, owners.Status));
                // A new administrator has no issuer certificate yet, so cannot certify a group.
                await Assert.ThrowsAsync<InvalidOperationException>(() => admin.CreateAsync("Mine", []));
                // The base groups change only with invitation and removal.
                CofferApiException team = await Assert.ThrowsAsync<CofferApiException>(() =>
                    admin.AddMemberAsync(adaKeys.GroupOfKind(GroupKinds.TeamMembers)!.GroupId, tom.MemberId));
                Assert.Equal(400, team.Status);
            }
            GroupSummaryDto filled = Assert.Single(await groups.ListAsync(), g => g.Id == plain);
            Assert.Equal([tom.MemberId], filled.MemberIds!);
        }
    }

    [Theory, BothEngines]
    public async Task TeamMember_EveryGroupChange_Is403(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            using TestMember tom = await org.AddMemberAsync(owner, ownerKeys, "tom@example.org");
            using GroupClient groups = new(owner.Session, ownerKeys);
            string groupId = await groups.CreateAsync("Finance", []);
            await groups.AddMemberAsync(groupId, tina.MemberId);
            await groups.AddMemberAsync(groupId, tom.MemberId);
            using GroupCreation creation = await groups.PrepareCreateAsync("Mine", []);
            using GroupRotation rotation = await groups.PrepareRemovalAsync(groupId, [tom.MemberId]);
            RevocationListDto list = new(2, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), [], null, Base64Url.Encode(new byte[64]));

            using SignInResult member = await tina.SignInAsync();
            Func<Task>[] calls =
            [
                () => member.Session.SendAsync(HttpMethod.Post, "/api/v1/groups", creation.Request, Json.CreateGroupRequest, Json.GroupDetailResponse),
                () => member.Session.SendAsync(HttpMethod.Put, "/api/v1/groups/" + groupId, new UpdateGroupRequest("x", []), Json.UpdateGroupRequest,
                    Json.ProblemDto),
                () => member.Session.SendAsync(HttpMethod.Post, $"/api/v1/groups/{groupId}/members", new AddGroupMemberRequest(rotation.Request.MemberWraps[0]),
                    Json.AddGroupMemberRequest, Json.ProblemDto),
                () => member.Session.SendAsync(HttpMethod.Post, $"/api/v1/groups/{groupId}/rotate", rotation.Request, Json.RotateGroupRequest, Json.ProblemDto),
                () => member.Session.SendAsync(HttpMethod.Post, "/api/v1/revocations", list, Json.RevocationListDto, Json.ProblemDto),
            ];
            foreach (Func<Task> call in calls)
            {
                CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(call);
                Assert.Equal((403, ErrorTypes.Forbidden), (e.Status, e.Type));
            }
            // Reading is for every confirmed member; the management data is not.
            GroupDetailResponse detail = await member.Session.SendAsync(HttpMethod.Get, "/api/v1/groups/" + groupId, Json.GroupDetailResponse);
            Assert.Null(detail.Management);
            Assert.Equal(1L, detail.Certificate.KeysetSerial);
            Assert.Equal(1, (await member.Session.SendAsync(HttpMethod.Get, "/api/v1/revocations", Json.RevocationListResponse)).List.Version);
            MemberCertificateResponse cert = await member.Session.SendAsync(HttpMethod.Get, $"/api/v1/members/{tom.MemberId}/certificate",
                Json.MemberCertificateResponse);
            Assert.Equal((tom.MemberId, "active", "member"), (cert.MemberId, cert.State, cert.Certificate.Kind));
        }
    }

    [Theory, BothEngines]
    public async Task ForgedCertificateOrWrap_SignedByAKeyThatIsNoIssuer_IsRefused(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            using GroupClient groups = new(owner.Session, ownerKeys);
            using (GroupCreation creation = await groups.PrepareCreateAsync("Forged", []))
            {
                // The certificate signed by the Owner's own member key, which is not an issuer key.
                SubjectCertificateDto c = creation.Request.Certificate;
                GroupCertTbs record = new(ownerKeys.Trust.OrgId, c.SubjectId, GroupKinds.Custom, Fingerprint.FromSpki(Base64Url.Decode(c.EncryptionPublicKey)),
                    Fingerprint.FromSpki(Base64Url.Decode(c.SigningPublicKey)), c.KeysetId, c.KeysetSerial, c.IssuerId, c.IssuedAt);
                creation.Request = creation.Request with { Certificate = c with { Signature = Base64Url.Encode(record.Sign(ownerKeys.Keyset.SigningKey)) } };
                CofferApiException forged = await Assert.ThrowsAsync<CofferApiException>(() => groups.CommitCreateAsync(creation));
                Assert.Equal(400, forged.Status);
            }
            string groupId = await groups.CreateAsync("Real", []);
            Assert.DoesNotContain(await groups.ListAsync(), g => g.Name == "Forged");

            // A wrap to Tina signed by a stranger's key in the Owner's name.
            MemberCertificate tinaCert = await groups.GetMemberCertificateAsync(tina.MemberId);
            using EcdsaP256PrivateKey stranger = EcdsaP256.GenerateKey();
            byte[] wrapped = ownerKeys.Groups.Values.First().Keyset.WrapSymmetricKeyTo(tinaCert.EncryptionPublicKey);
            SignedWrap bad = Signing.SignWrap(stranger, ownerKeys.MemberId, WrapObjectKinds.Group, groupId, 1, tina.MemberId, tinaCert.EncryptionPublicKey, wrapped);
            AddGroupMemberRequest request = new(new SignedWrapDto(WrapObjectKinds.Group, groupId, 1, tina.MemberId, "member", tinaCert.Record.KeysetSerial,
                Base64Url.Encode(wrapped), ownerKeys.MemberId, Base64Url.Encode(bad.Signature)));
            CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() => owner.Session.SendAsync(HttpMethod.Post,
                $"/api/v1/groups/{groupId}/members", request, Json.AddGroupMemberRequest, Json.ProblemDto));
            Assert.Equal(400, refused.Status);
            Assert.Equal(0, Assert.Single(await groups.ListAsync(), g => g.Id == groupId).MemberCount);
        }
    }

    /// <summary>
    /// Makes a vault and shares it with the group through the SDK: the vault key wrapped to the group's certificate, which the
    /// Owner's client verified to the pinned root, signed by the Owner (the Owner is not a member of the group).
    /// </summary>
    internal static async Task<(string VaultId, byte[] VaultKey)> GrantVaultToGroupAsync(SignInResult owner, UnlockedAccount ownerKeys, string groupId)
    {
        using VaultClient vaults = new(owner.Session, ownerKeys);
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Team credentials");
        byte[] key = KeyWrap.Unwrap(ownerKeys.Keyset.EncryptionKey, Base64Url.Decode(vault.Grants[0].Wrap.Wrap))!;
        await vaults.ShareWithGroupAsync(vault.Id, groupId, [VaultPermissions.ViewItems]);
        return (vault.Id, key);
    }

    internal static async Task<SignedWrapDto> GroupGrantAsync(SignInResult member, string vaultId) =>
        (await member.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults/" + vaultId, Json.VaultDto)).Grants.Single(g => g.Wrap.RecipientKind == "group").Wrap;

    private static byte[]? Unwrap(Keyset groupKeyset, SignedWrapDto wrap) => KeyWrap.Unwrap(groupKeyset.EncryptionKey, Base64Url.Decode(wrap.Wrap));

    /// <summary>Unlocks as a device that remembers <paramref name="pins"/> from an earlier unlock.</summary>
    internal static async Task<UnlockedAccount> UnlockAsync(SignInResult signIn, RememberedAccount account, Pins pins)
    {
        AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
        using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
        return AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, account, pins, TimeProvider.System);
    }

    internal static async Task<List<AuditEventDto>> EventsAsync(SignInResult admin)
    {
        List<AuditEventDto> all = [];
        AuditEventsResponse page;
        do
        {
            page = await admin.Session.SendAsync(HttpMethod.Get, $"/api/v1/audit/events?after={(all.Count == 0 ? 0 : all[^1].Seq)}&limit=5000",
                Json.AuditEventsResponse);
            all.AddRange(page.Events);
        }
        while (page.HasMore);
        return all;
    }
}
