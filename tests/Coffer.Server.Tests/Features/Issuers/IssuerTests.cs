using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Issuers;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Issuers;
using Coffer.Sdk.Members;
using Coffer.Sdk.Wire;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Coffer.Server.Tests.Features.Groups;

namespace Coffer.Server.Tests.Features.Issuers;

/// <summary>
/// Issuer keys for administrators beyond the first Owner (PROTOCOL.md §5.1 "Issuers", §5.2 <c>issuer</c>; docs/adr/0004,
/// docs/adr/0005, docs/adr/0006, docs/adr/0015): an administrator requests, an Owner certifies with the root, the
/// administrator's next unlock opens the key and confirms members through it; renewal, revocation and who may do what.
/// </summary>
public sealed class IssuerTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    [Theory, BothEngines]
    public async Task NewAdministrator_RequestsAndIsCertified_ThenConfirmsAMemberWhoseUnlockVerifiesTheChain(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember ana = await org.AddMemberAsync(owner, ownerKeys, "ana@example.org", "team_members", true, "administrators");
            string issuerId;
            (SignInResult first, UnlockedAccount firstKeys) = await ana.SignInAndUnlockAsync();
            using (first)
            using (firstKeys)
            {
                // Without an issuer key an administrator cannot confirm anyone yet.
                Assert.Null(firstKeys.IssuerKey);
                issuerId = await new IssuerAdministration(first.Session, firstKeys).RequestAsync();
            }

            IssuerAdministration administration = new(owner.Session, ownerKeys);
            PendingIssuerRequestDto pending = Assert.Single(await administration.ListRequestsAsync());
            Assert.Equal((issuerId, ana.MemberId, "admin"), (pending.IssuerId, pending.HolderId, pending.Role));
            IssuerCertificate certified = await administration.CertifyAsync(pending);
            Assert.Empty(await administration.ListRequestsAsync());
            Assert.Contains(await administration.ListAsync(), c => c.Record.IssuerId == issuerId && c.Record.HolderId == ana.MemberId);

            (SignInResult admin, UnlockedAccount adminKeys) = await ana.SignInAndUnlockAsync();
            using (admin)
            using (adminKeys)
            {
                // account/keys serves the certificate and the sealed key; the unlock opens it and finds it valid now.
                Assert.NotNull(adminKeys.IssuerKey);
                Assert.Equal(ProvenanceFailure.None, adminKeys.IssuerStatus);
                Assert.Equal(certified.Record, adminKeys.IssuerCertificate!.Record);
                Assert.Equal(certified.IssuerPublicKey, adminKeys.IssuerKey!.PublicKey.Spki.ToArray());

                // Any confirmed member reads the issuer certificates.
                IssuerListResponse listed = await admin.Session.SendAsync(HttpMethod.Get, "/api/v1/issuers", Json.IssuerListResponse);
                Assert.Contains(listed.Issuers, i => i.IssuerId == issuerId);

                // The new administrator confirms an invitee; the invitee's unlock verifies the chain through the new issuer.
                using TestMember bob = await org.AddMemberAsync(admin, adminKeys, "bob@example.org");
                (SignInResult bobSignIn, UnlockedAccount bobKeys) = await bob.SignInAndUnlockAsync();
                using (bobSignIn)
                using (bobKeys)
                {
                    Assert.Equal(issuerId, bobKeys.Certificate.Record.IssuerId);
                    Assert.NotNull(bobKeys.GroupOfKind("team_members"));
                }
            }

            List<AuditEventDto> log = await GroupTests.EventsAsync(owner);
            Assert.Contains(log, e => e is { Action: "issuer.request", Outcome: "success" } && e.TargetId == issuerId);
            Assert.Contains(log, e => e is { Action: "issuer.certify", Outcome: "success" } && e.TargetId == issuerId);
        }
    }

    [Theory, BothEngines]
    public async Task Certify_ByAnotherKeyForTooLongOrForAnotherKey_Is400_AndTheRequestStaysPending(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember ana = await org.AddMemberAsync(owner, ownerKeys, "ana@example.org", "team_members", true, "administrators");
            (SignInResult admin, UnlockedAccount adminKeys) = await ana.SignInAndUnlockAsync();
            using (admin)
            using (adminKeys)
            {
                await new IssuerAdministration(admin.Session, adminKeys).RequestAsync();
            }
            IssuerAdministration administration = new(owner.Session, ownerKeys);
            PendingIssuerRequestDto pending = Assert.Single(await administration.ListRequestsAsync());
            byte[] requested = Base64Url.Decode(pending.PublicKey);
            string orgId = ownerKeys.Trust.OrgId;
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            using EcdsaP256PrivateKey stranger = EcdsaP256.GenerateKey();
            using EcdsaP256PrivateKey otherKey = EcdsaP256.GenerateKey();
            EcdsaP256PrivateKey root = ownerKeys.RootKey!;

            IssuerCertificateDto[] refused =
            [
                // Signed by a key that is not the organisation root (here an issuer's, then a stranger's).
                WireMapper.ToDto(Signing.CertifyIssuer(ownerKeys.IssuerKey!, orgId, pending.IssuerId, "admin", ana.MemberId, requested, now, now + 30 * Day)),
                WireMapper.ToDto(Signing.CertifyIssuer(stranger, orgId, pending.IssuerId, "admin", ana.MemberId, requested, now, now + 30 * Day)),
                // Valid for more than 90 days (the SDK would not sign it, so it is built by hand).
                Unchecked(root, orgId, pending.IssuerId, ana.MemberId, requested, now, now + 90 * Day + 1),
                // A key other than the requested one, and the requested key for another holder.
                WireMapper.ToDto(Signing.CertifyIssuer(root, orgId, pending.IssuerId, "admin", ana.MemberId, otherKey.PublicKey.Spki, now, now + 30 * Day)),
                WireMapper.ToDto(Signing.CertifyIssuer(root, orgId, pending.IssuerId, "admin", TestOrganisation.OwnerId, requested, now, now + 30 * Day)),
            ];
            foreach (IssuerCertificateDto certificate in refused)
            {
                CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => owner.Session.SendAsync(HttpMethod.Post, "/api/v1/issuers",
                    new CertifyIssuerRequest(certificate), Json.CertifyIssuerRequest, Json.ProblemDto));
                Assert.Equal((400, ErrorTypes.ValidationFailed), (e.Status, e.Type));
            }

            // Nothing was stored: the request is still pending and certifies normally.
            Assert.DoesNotContain(await administration.ListAsync(), c => c.Record.IssuerId == pending.IssuerId);
            Assert.Equal(pending, Assert.Single(await administration.ListRequestsAsync()));
            _ = await administration.CertifyAsync(pending);
            Assert.Single(await administration.ListAsync(), c => c.Record.IssuerId == pending.IssuerId);

            List<AuditEventDto> log = await GroupTests.EventsAsync(owner);
            Assert.Equal(refused.Length, log.Count(e => e is { Action: "issuer.certify", Outcome: "refused" }));
        }
    }

    [Theory, BothEngines]
    public async Task Request_ByATeamMember_Is403_AndListingOrCertifying_ByAnAdministrator_Is403(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tom = await org.AddMemberAsync(owner, ownerKeys, "tom@example.org");
            (SignInResult member, UnlockedAccount memberKeys) = await tom.SignInAndUnlockAsync();
            using (member)
            using (memberKeys)
            {
                CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => new IssuerAdministration(member.Session, memberKeys).RequestAsync());
                Assert.Equal((403, ErrorTypes.Forbidden), (e.Status, e.Type));
            }

            using TestMember ana = await org.AddMemberAsync(owner, ownerKeys, "ana@example.org", "team_members", true, "administrators");
            (SignInResult admin, UnlockedAccount adminKeys) = await ana.SignInAndUnlockAsync();
            using (admin)
            using (adminKeys)
            {
                IssuerAdministration administration = new(admin.Session, adminKeys);
                string issuerId = await administration.RequestAsync();
                CofferApiException listing = await Assert.ThrowsAsync<CofferApiException>(() => administration.ListRequestsAsync());
                Assert.Equal((403, ErrorTypes.Forbidden), (listing.Status, listing.Type));

                // An administrator holds no root key; whatever they sign, certifying is an Owner's act.
                long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                using EcdsaP256PrivateKey own = EcdsaP256.GenerateKey();
                IssuerCertificate forged = Signing.CertifyIssuer(own, adminKeys.Trust.OrgId, issuerId, "admin", ana.MemberId, own.PublicKey.Spki, now,
                    now + 30 * Day);
                CofferApiException certifying = await Assert.ThrowsAsync<CofferApiException>(() => admin.Session.SendAsync(HttpMethod.Post,
                    "/api/v1/issuers", new CertifyIssuerRequest(WireMapper.ToDto(forged)), Json.CertifyIssuerRequest, Json.ProblemDto));
                Assert.Equal((403, ErrorTypes.Forbidden), (certifying.Status, certifying.Type));
                await Assert.ThrowsAsync<InvalidOperationException>(() => administration.RenewAllAsync());
            }
            Assert.Single(await new IssuerAdministration(owner.Session, ownerKeys).ListRequestsAsync(), r => r.HolderId == ana.MemberId);
        }
    }

    [Theory, BothEngines]
    public async Task Revoke_TheRevokedIssuersNewConfirmationsAreRefused_AndItIsNeverRenewed(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember ana = await org.AddMemberAsync(owner, ownerKeys, "ana@example.org", "team_members", true, "administrators");
            IssuerCertificate certified = await AppointAsync(owner, ownerKeys, ana);
            string issuerId = certified.Record.IssuerId;

            (SignInResult admin, UnlockedAccount adminKeys) = await ana.SignInAndUnlockAsync();
            using (admin)
            using (adminKeys)
            {
                Assert.Equal(ProvenanceFailure.None, adminKeys.IssuerStatus);
                using TestMember carol = await org.AddMemberAsync(admin, adminKeys, "carol@example.org", confirm: false);

                IssuerAdministration administration = new(owner.Session, ownerKeys);
                RevocationList list = await administration.RevokeAsync(ana.MemberId);
                Assert.Contains(new RevocationEntry(CertKinds.Issuer, issuerId, 0), list.Record.Entries);
                Assert.Null(list.IssuerId);

                // The administrator's client still holds the key it unlocked before, but the server takes nothing new from it.
                PendingMember pending = await MemberConfirmation.FetchAsync(admin.Session, adminKeys, carol.MemberId);
                CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() =>
                    MemberConfirmation.ConfirmAsync(admin.Session, adminKeys, pending, TimeProvider.System));
                Assert.Equal((400, ErrorTypes.ValidationFailed), (e.Status, e.Type));

                // Nor is it renewed: not by the SDK (revoked issuers are skipped), not by hand.
                Assert.DoesNotContain(await administration.RenewAllAsync(TimeSpan.FromDays(91)), c => c.Record.IssuerId == issuerId);
                long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                IssuerCertificate renewal = Signing.CertifyIssuer(ownerKeys.RootKey!, ownerKeys.Trust.OrgId, issuerId, "admin", ana.MemberId,
                    certified.IssuerPublicKey, now, now + 90 * Day);
                e = await Assert.ThrowsAsync<CofferApiException>(() => owner.Session.SendAsync(HttpMethod.Post, "/api/v1/issuers",
                    new CertifyIssuerRequest(WireMapper.ToDto(renewal)), Json.CertifyIssuerRequest, Json.ProblemDto));
                Assert.Equal((400, ErrorTypes.ValidationFailed), (e.Status, e.Type));
            }

            // At the next unlock the revoked issuer is reported and its key is not held; the account still unlocks.
            (SignInResult again, UnlockedAccount againKeys) = await ana.SignInAndUnlockAsync();
            using (again)
            using (againKeys)
            {
                Assert.Equal(ProvenanceFailure.Revoked, againKeys.IssuerStatus);
                Assert.Null(againKeys.IssuerKey);
            }
        }
    }

    [Theory, BothEngines]
    public async Task RenewAll_ExtendsTheExpiryOfCertificatesDueForRenewal_AndTheHolderUnlocksTheRenewedOne(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember ana = await org.AddMemberAsync(owner, ownerKeys, "ana@example.org", "team_members", true, "administrators");
            IssuerCertificate certified = await AppointAsync(owner, ownerKeys, ana);
            IssuerAdministration administration = new(owner.Session, ownerKeys);

            // Fresh certificates are left alone.
            Assert.Empty(await administration.RenewAllAsync());

            // With a window longer than any certificate's life, every current administrator's is renewed: the Owner's and Ana's.
            IReadOnlyList<IssuerCertificate> renewed = await administration.RenewAllAsync(TimeSpan.FromDays(91));
            IssuerCertificate next = Assert.Single(renewed, c => c.Record.IssuerId == certified.Record.IssuerId);
            Assert.Contains(renewed, c => c.Record.HolderId == TestOrganisation.OwnerId);
            Assert.True(next.Record.ExpiresAt > certified.Record.ExpiresAt);
            Assert.Equal(certified.IssuerPublicKey, next.IssuerPublicKey);
            Assert.Equal(2, (await administration.ListAsync()).Count(c => c.Record.IssuerId == certified.Record.IssuerId));

            (SignInResult admin, UnlockedAccount adminKeys) = await ana.SignInAndUnlockAsync();
            using (admin)
            using (adminKeys)
            {
                Assert.Equal(ProvenanceFailure.None, adminKeys.IssuerStatus);
                Assert.Equal(next.Record, adminKeys.IssuerCertificate!.Record);
            }

            // A renewal that does not extend the expiry is refused.
            IssuerCertificate shorter = Signing.CertifyIssuer(ownerKeys.RootKey!, ownerKeys.Trust.OrgId, next.Record.IssuerId, "admin", ana.MemberId,
                next.IssuerPublicKey, next.Record.IssuedAt, next.Record.ExpiresAt - Day);
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => owner.Session.SendAsync(HttpMethod.Post, "/api/v1/issuers",
                new CertifyIssuerRequest(WireMapper.ToDto(shorter)), Json.CertifyIssuerRequest, Json.ProblemDto));
            Assert.Equal((400, ErrorTypes.ValidationFailed), (e.Status, e.Type));

            List<AuditEventDto> log = await GroupTests.EventsAsync(owner);
            Assert.Contains(log, x => x is { Action: "issuer.renew", Outcome: "success" } && x.TargetId == certified.Record.IssuerId);
        }
    }

    /// <summary>The administrator requests an issuer key and the Owner certifies it.</summary>
    private static async Task<IssuerCertificate> AppointAsync(SignInResult owner, UnlockedAccount ownerKeys, TestMember admin)
    {
        (SignInResult signIn, UnlockedAccount keys) = await admin.SignInAndUnlockAsync();
        using (signIn)
        using (keys)
        {
            await new IssuerAdministration(signIn.Session, keys).RequestAsync();
        }
        IssuerAdministration administration = new(owner.Session, ownerKeys);
        PendingIssuerRequestDto pending = Assert.Single(await administration.ListRequestsAsync(), r => r.HolderId == admin.MemberId);
        return await administration.CertifyAsync(pending);
    }

    /// <summary>An issuer record signed as given, without the SDK's 90-day check.</summary>
    private static IssuerCertificateDto Unchecked(EcdsaP256PrivateKey key, string orgId, string issuerId, string holderId, byte[] spki, long issuedAt,
        long expiresAt)
    {
        IssuerTbs record = new(orgId, issuerId, "admin", holderId, Fingerprint.FromSpki(spki), issuedAt, expiresAt);
        return new IssuerCertificateDto(issuerId, "admin", holderId, Base64Url.Encode(spki), issuedAt, expiresAt, Base64Url.Encode(record.Sign(key)));
    }
}
