using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Setup;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Audit;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Setup;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Audit;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Audit;

/// <summary>
/// The root's certificate of the server's audit key (PROTOCOL.md §11 "certified by the root"; docs/adr/0016): made at setup
/// or by an Owner later, checked by the server against the stored root, required by administrators' clients before they
/// countersign, and checked again by <c>coffer-server audit verify</c>. A replaced key file is a new, uncertified key.
/// </summary>
public class AuditKeyCertificateTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task Setup_CertifyingTheServersAuditKey_LeavesItCertified_AndAdministratorsCountersign(Engine engine)
    {
        await using TestOrganisation other = await TestOrganisation.StartAsync(engine, setUp: false);
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, setUp: false);
        SetupStatusResponse status = await org.Connection.GetAsync("/api/v1/setup", Json.SetupStatusResponse);
        byte[] auditKey = OrganisationSetup.ReadAuditKey(status);
        Assert.Equal(Log(org).Key.PublicKey.Fingerprint.ToString(), status.AuditKeyFingerprint);
        using OrganisationSetupResult setup = OrganisationSetup.Create(
            new SetupDetails("Example Ministry", "Owner@Example.org", "Olive Owner", new Uri("http://127.0.0.1")), TestOrganisation.Password,
            Base64Url.Encode(new byte[32]), TimeProvider.System, TestOrganisation.Policy, TestOrganisation.Iterations, auditKey);
        Assert.NotNull(setup.Request.Organisation.AuditKeyCertificate);

        // Another server's audit key is not this one: that setup is refused, and that server stays empty.
        string otherToken = await other.SetupTokenAsync();
        CofferApiException mismatch = await Assert.ThrowsAsync<CofferApiException>(() => other.Connection.PostAsync("/api/v1/setup",
            setup.Request with { Token = otherToken }, Json.SetupRequest, Json.SetupResponse));
        Assert.Equal((409, ErrorTypes.AuditKeyMismatch), (mismatch.Status, mismatch.Type));
        Assert.True((await other.Connection.GetAsync("/api/v1/setup", Json.SetupStatusResponse)).Required);

        await org.Connection.PostAsync("/api/v1/setup", setup.Request with { Token = await org.SetupTokenAsync() }, Json.SetupRequest, Json.SetupResponse);
        using SignInResult signIn = await SignIn.SignInAsync(org.Connection, setup.Request.Owner.Email, TestOrganisation.Password, setup.SecretKey,
            "0190a1b2-0000-7000-8000-00000000d001", new DeviceInfoDto("Test laptop", "linux-cli", "0.1.0"), org.OwnerAuthenticator, TestOrganisation.Policy);
        using UnlockedAccount owner = await TestOrganisation.UnlockAsync(signIn, setup.Account);
        AuditClient client = new(signIn.Session, owner);

        AuditKeyState state = await client.GetKeyAsync();
        Assert.True(state.IsCertified);
        Assert.Equal(Log(org).Key.PublicKey.Fingerprint, state.Fingerprint);
        Assert.Equal(state.Certificate!.Record.IssuedAt, owner.Pins.AuditKeyIssuedAt);
        await Log(org).FlushAsync(CancellationToken.None);
        List<AuditEventRow> events = await Store(org).EventsAsync(0, 10, CancellationToken.None);
        Assert.Equal(["org.create", "audit.key.certify"], events.Take(2).Select(e => e.Action));
        Assert.Equal((setup.Request.Owner.MemberId, "audit_key"), (events[1].ActorMemberId, events[1].TargetKind));

        await Log(org).CheckpointAsync(CancellationToken.None);
        CountersignedCheckpoint countersigned = await client.CountersignLatestAsync();
        Assert.Equal(state.Fingerprint, countersigned.AuditKey);
        AuditCountersignatureRow stored = Assert.Single(await Store(org).CountersignaturesAsync(CancellationToken.None));
        Assert.Equal((countersigned.Seq, setup.Request.Owner.MemberId), (stored.Seq, stored.SignerId));

        AuditVerifyReport report = await VerifyAsync(org);
        Assert.True(report.Intact, report.Message);
        Assert.Equal(AuditKeyCertification.Certified, report.KeyCertification);
        Assert.Equal(1, report.KeyCertificatesChecked);
        Assert.Equal(report.CheckpointsChecked, report.CheckpointsByCertifiedKey);
        Assert.Empty(report.Warnings);
    }

    [Theory, BothEngines]
    public async Task Countersign_UncertifiedAuditKey_IsRefused_UntilAnOwnerCertifiesIt(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult signIn, UnlockedAccount owner) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (owner)
        {
            AuditClient client = new(signIn.Session, owner);
            Assert.False((await client.GetKeyAsync()).IsCertified);
            await Log(org).FlushAsync(CancellationToken.None);
            await Log(org).CheckpointAsync(CancellationToken.None);

            AuditKeyUncertifiedException uncertified = await Assert.ThrowsAsync<AuditKeyUncertifiedException>(() => client.CountersignLatestAsync());
            Assert.Equal(Log(org).Key.PublicKey.Fingerprint, uncertified.AuditKeyFingerprint);
            Assert.Empty(await Store(org).CountersignaturesAsync(CancellationToken.None));

            AuditKeyCertificate certificate = await client.CertifyKeyAsync();
            Assert.Equal(Log(org).Key.PublicKey.Fingerprint, certificate.Record.AuditFpr);
            Assert.True((await client.GetKeyAsync()).IsCertified);
            // Certifying again changes nothing: the key is certified already.
            Assert.Equal(certificate.Record, (await client.CertifyKeyAsync()).Record);
            Assert.Single(await new AuditKeyCertificateStore(org.Database.Database, Store(org)).AllAsync(CancellationToken.None));

            // The server signed a checkpoint over the certification at once, so there is one to countersign now.
            CountersignedCheckpoint countersigned = await client.CountersignLatestAsync();
            Assert.Equal(certificate.Record.AuditFpr, countersigned.AuditKey);
            Assert.Single(await Store(org).CountersignaturesAsync(CancellationToken.None));
            List<AuditEventRow> events = await Store(org).EventsAsync(0, 100, CancellationToken.None);
            AuditEventRow certify = Assert.Single(events, e => e.Action == AuditActions.AuditKeyCertify);
            Assert.Equal((TestOrganisation.OwnerId, AuditOutcomes.Success), (certify.ActorMemberId, certify.Outcome));
            Assert.Equal(AuditKeyCertificateStore.Details(certificate.Record.AuditFpr, certificate.Record.IssuedAt), certify.Details);
        }
    }

    [Theory, BothEngines]
    public async Task Countersign_CheckpointOfAForgedOrSwappedAuditKey_IsRefused_AndNothingIsSigned(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult signIn, UnlockedAccount owner) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (owner)
        {
            AuditClient client = new(signIn.Session, owner);
            await client.CertifyKeyAsync();
            AuditCheckpointRow cp = (await Store(org).LatestCheckpointAsync(CancellationToken.None))!;
            string orgId = owner.Trust.OrgId;

            // Whoever holds the database re-signs the newest checkpoint with a key of their own.
            using EcdsaP256PrivateKey forger = EcdsaP256.GenerateKey();
            byte[] forged = new CheckpointTbs(orgId, cp.Seq, Sha256Hash.FromBytes(cp.ChainHash), cp.Time).Sign(forger);
            await ResignAsync(org, cp.Seq, forged, forger.PublicKey);
            await Assert.ThrowsAsync<AuditKeyUncertifiedException>(() => client.CountersignLatestAsync());

            // ... and adds a certificate for it: signed by the forger itself, by the Owner's issuer key, or copied from the real one.
            byte[] forgerSpki = forger.PublicKey.ExportSpki();
            AuditKeyCertificate real = (await client.GetKeyAsync()).Certificate!;
            foreach ((string what, byte[] signature) in new[]
            {
                ("self-signed", new AuditKeyTbs(orgId, forger.PublicKey.Fingerprint, real.Record.IssuedAt).Sign(forger)),
                ("issuer-signed", new AuditKeyTbs(orgId, forger.PublicKey.Fingerprint, real.Record.IssuedAt).Sign(owner.IssuerKey!)),
                ("copied", real.Signature),
            })
            {
                await ExecAsync(org, """
                    INSERT INTO audit_key_certificates (key_fingerprint, public_key, issued_at, signature, certified_by, created_at)
                    VALUES (@fpr, @forgerSpki, @issuedAt, @signature, @owner, 0)
                    """, new { fpr = forger.PublicKey.Fingerprint.ToArray(), forgerSpki, issuedAt = real.Record.IssuedAt, signature, owner = owner.MemberId });
                ProvenanceException refused = await Assert.ThrowsAsync<ProvenanceException>(() => client.CountersignLatestAsync());
                Assert.True(refused.Failure == ProvenanceFailure.BadSignature, what + ": " + refused.Message);
                await ExecAsync(org, "DELETE FROM audit_key_certificates WHERE key_fingerprint = @fpr", new { fpr = forger.PublicKey.Fingerprint.ToArray() });
            }

            // The real, certified key with the checkpoint's signature swapped for another checkpoint's.
            await ResignAsync(org, cp.Seq, new CheckpointTbs(orgId, cp.Seq + 1, Sha256Hash.FromBytes(cp.ChainHash), cp.Time).Sign(forger),
                Log(org).Key.PublicKey);
            ProvenanceException badCheckpoint = await Assert.ThrowsAsync<ProvenanceException>(() => client.CountersignLatestAsync());
            Assert.Equal(ProvenanceFailure.BadSignature, badCheckpoint.Failure);
            Assert.Empty(await Store(org).CountersignaturesAsync(CancellationToken.None));

            // Put back as the server signed it, the checkpoint is countersigned.
            await ResignAsync(org, cp.Seq, cp.Signature, Log(org).Key.PublicKey);
            Assert.Equal(cp.Seq, (await client.CountersignLatestAsync()).Seq);
        }
    }

    [Theory, BothEngines]
    public async Task CertifyKey_RefusesAnotherSignerAnotherKeyAnOlderCertificateAndNonOwners(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult signIn, UnlockedAccount owner) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (owner)
        {
            byte[] spki = Log(org).Key.PublicKey.ExportSpki();
            string orgId = owner.Trust.OrgId;
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

            // Signed by the Owner's issuer key, or by the member's own signing key: not the root.
            foreach (EcdsaP256PrivateKey notRoot in new[] { owner.IssuerKey!, owner.Keyset.SigningKey })
            {
                CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() =>
                    PostAsync(signIn, Signing.CertifyAuditKey(notRoot, orgId, spki, now)));
                Assert.Equal((400, ErrorTypes.BadSignature), (refused.Status, refused.Type));
            }
            // The root's signature over another key, or over this key for another organisation.
            using EcdsaP256PrivateKey otherKey = EcdsaP256.GenerateKey();
            CofferApiException wrongKey = await Assert.ThrowsAsync<CofferApiException>(() =>
                PostAsync(signIn, Signing.CertifyAuditKey(owner.RootKey!, orgId, otherKey.PublicKey.Spki, now)));
            Assert.Equal((409, ErrorTypes.AuditKeyMismatch), (wrongKey.Status, wrongKey.Type));
            CofferApiException wrongOrg = await Assert.ThrowsAsync<CofferApiException>(() =>
                PostAsync(signIn, Signing.CertifyAuditKey(owner.RootKey!, "0190a1b2-0000-7000-8000-0000000000ff", spki, now)));
            Assert.Equal(ErrorTypes.BadSignature, wrongOrg.Type);
            // Signed an hour ago: not now.
            CofferApiException old = await Assert.ThrowsAsync<CofferApiException>(() =>
                PostAsync(signIn, Signing.CertifyAuditKey(owner.RootKey!, orgId, spki, now - 3_600_000)));
            Assert.Equal(ErrorTypes.ValidationFailed, old.Type);

            AuditKeyCertificate first = Signing.CertifyAuditKey(owner.RootKey!, orgId, spki, now);
            await PostAsync(signIn, first);
            // The same certificate again, or one signed earlier than it: not newer than what the server holds.
            foreach (long issuedAt in new[] { now, now - 1000 })
            {
                CofferApiException stale = await Assert.ThrowsAsync<CofferApiException>(() =>
                    PostAsync(signIn, Signing.CertifyAuditKey(owner.RootKey!, orgId, spki, issuedAt)));
                Assert.Equal((409, ErrorTypes.StaleVersion), (stale.Status, stale.Type));
            }
            await PostAsync(signIn, Signing.CertifyAuditKey(owner.RootKey!, orgId, spki, now + 1));

            // An administrator holds no root: refused before the body is looked at.
            TestMember admin = await org.AddMemberAsync(signIn, owner, "admin@example.org", "team_members", true, "administrators");
            using (admin)
            {
                (SignInResult adminSignIn, UnlockedAccount adminKeys) = await admin.SignInAndUnlockAsync();
                using (adminSignIn)
                using (adminKeys)
                {
                    CofferApiException forbidden = await Assert.ThrowsAsync<CofferApiException>(() =>
                        PostAsync(adminSignIn, Signing.CertifyAuditKey(owner.RootKey!, orgId, spki, now + 2)));
                    Assert.Equal(403, forbidden.Status);
                    await Assert.ThrowsAsync<InvalidOperationException>(() => new AuditClient(adminSignIn.Session, adminKeys).CertifyKeyAsync());
                    // The administrator reads the certified key and countersigns under it.
                    Assert.True((await new AuditClient(adminSignIn.Session, adminKeys).GetKeyAsync()).IsCertified);
                    Assert.NotNull(await new AuditClient(adminSignIn.Session, adminKeys).CountersignLatestAsync());
                }
            }

            await Log(org).FlushAsync(CancellationToken.None);
            List<AuditEventRow> attempts = [.. (await Store(org).EventsAsync(0, 500, CancellationToken.None)).Where(e => e.Action == AuditActions.AuditKeyCertify)];
            Assert.Equal(2, attempts.Count(e => e.Outcome == AuditOutcomes.Success));
            Assert.Equal(7, attempts.Count(e => e.Outcome == AuditOutcomes.Refused));
            Assert.Equal(now + 1, Assert.Single(await new AuditKeyCertificateStore(org.Database.Database, Store(org)).AllAsync(CancellationToken.None)).IssuedAt);
        }
    }

    [Theory, BothEngines]
    public async Task Verify_WarnsOfAnUncertifiedKey_AndFailsOnATamperedCertificate(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        await Log(org).FlushAsync(CancellationToken.None);
        await Log(org).CheckpointAsync(CancellationToken.None);

        AuditVerifyReport uncertified = await VerifyAsync(org);
        Assert.True(uncertified.Intact, uncertified.Message);
        Assert.Equal(AuditKeyCertification.Uncertified, uncertified.KeyCertification);
        Assert.Equal(1, uncertified.CheckpointsByUncertifiedKey);
        (int exit, string output) = await RunVerifyAsync(org);
        Assert.True(exit == 0, output);
        Assert.Contains("WARNING: The audit key in the key file", output, StringComparison.Ordinal);
        Assert.Contains("NOT certified by the organisation root", output, StringComparison.Ordinal);

        (SignInResult signIn, UnlockedAccount owner) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (owner)
        {
            await new AuditClient(signIn.Session, owner).CertifyKeyAsync();
        }
        AuditVerifyReport certified = await VerifyAsync(org);
        Assert.True(certified.Intact, certified.Message);
        Assert.Equal(AuditKeyCertification.Certified, certified.KeyCertification);
        Assert.Empty(certified.Warnings);
        (exit, output) = await RunVerifyAsync(org);
        Assert.True(exit == 0, output);
        Assert.DoesNotContain("WARNING", output, StringComparison.Ordinal);
        Assert.Contains("audit key in the key file: certified by the organisation root", output, StringComparison.Ordinal);
        string rootFingerprint = TestOrganisation.Setup.EmergencyKit.OrganisationFingerprint.ToString();
        Assert.Equal(0, (await RunVerifyAsync(org, "--organisation-fingerprint=" + rootFingerprint)).Exit);
        using (EcdsaP256PrivateKey stranger = EcdsaP256.GenerateKey())
        {
            (exit, output) = await RunVerifyAsync(org, "--organisation-fingerprint=" + stranger.PublicKey.Fingerprint);
            Assert.True(exit == 1, output);
            Assert.Contains("root-mismatch", output, StringComparison.Ordinal);
        }

        // A certificate edited in the database — its signature, or its date — is a failure, not a warning.
        AuditKeyCertificateRow row = Assert.Single(await new AuditKeyCertificateStore(org.Database.Database, Store(org)).AllAsync(CancellationToken.None));
        byte[] altered = row.Signature.ToArray();
        altered[5] ^= 1;
        foreach ((string column, object value) in new (string, object)[] { ("signature", altered), ("issued_at", row.IssuedAt + 1) })
        {
            await ExecAsync(org, $"UPDATE audit_key_certificates SET {column} = @value", new { value });
            AuditVerifyReport tampered = await VerifyAsync(org);
            Assert.False(tampered.Intact, column);
            Assert.Equal("bad-audit-key-certificate", tampered.Fault);
            (exit, output) = await RunVerifyAsync(org);
            Assert.True(exit == 1, output);
            Assert.Contains("bad-audit-key-certificate", output, StringComparison.Ordinal);
            await ExecAsync(org, "UPDATE audit_key_certificates SET signature = @Signature, issued_at = @IssuedAt", row);
        }
        Assert.True((await VerifyAsync(org)).Intact);
    }

    [Theory, BothEngines]
    public async Task ReplacedAuditKeyFile_IsUncertifiedUntilAnOwnerCertifiesTheNewKey(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        Fingerprint firstKey = Log(org).Key.PublicKey.Fingerprint;
        byte[] stolenCheckpoint;
        long firstIssuedAt;
        (SignInResult signIn, UnlockedAccount owner) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (owner)
        {
            firstIssuedAt = (await new AuditClient(signIn.Session, owner).CertifyKeyAsync()).Record.IssuedAt;
            // Someone copies the key file before it is replaced; later they sign a checkpoint far ahead with it.
            stolenCheckpoint = Log(org).Key.Sign(new CheckpointTbs(owner.Trust.OrgId, 1_000_000, Sha256Hash.Of([7]), 1));
        }

        await org.ReplaceServerAsync();
        Fingerprint secondKey = Log(org).Key.PublicKey.Fingerprint;
        Assert.NotEqual(firstKey, secondKey);
        (signIn, owner) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (owner)
        {
            AuditClient client = new(signIn.Session, owner);
            AuditKeyState replaced = await client.GetKeyAsync();
            Assert.Equal(secondKey, replaced.Fingerprint);
            Assert.False(replaced.IsCertified);
            await Log(org).FlushAsync(CancellationToken.None);
            await Log(org).CheckpointAsync(CancellationToken.None);
            await Assert.ThrowsAsync<AuditKeyUncertifiedException>(() => client.CountersignLatestAsync());

            // The old key's checkpoints still verify under its certificate; the new key is reported uncertified.
            AuditVerifyReport before = await VerifyAsync(org);
            Assert.True(before.Intact, before.Message);
            Assert.Equal(AuditKeyCertification.Uncertified, before.KeyCertification);
            Assert.True(before.CheckpointsByCertifiedKey >= 1);
            Assert.True(before.CheckpointsByUncertifiedKey >= 1);
            Assert.NotEmpty(before.Warnings);

            AuditKeyCertificate second = await client.CertifyKeyAsync();
            Assert.Equal(secondKey, second.Record.AuditFpr);
            Assert.True(second.Record.IssuedAt > firstIssuedAt);
            Assert.NotNull(await client.CountersignLatestAsync());
            AuditVerifyReport after = await VerifyAsync(org);
            Assert.True(after.Intact, after.Message);
            Assert.Equal(AuditKeyCertification.Certified, after.KeyCertification);
            Assert.Equal(2, after.KeyCertificatesChecked);
            Assert.Empty(after.Warnings);

            // Whoever holds the database deletes the new certificate, so the old key's is the newest again: the verified chain
            // still records the certification, so audit verify notices ...
            byte[] oldSpki = (await new AuditKeyCertificateStore(org.Database.Database, Store(org)).ForKeyAsync(firstKey, CancellationToken.None))!.PublicKey;
            await ExecAsync(org, "DELETE FROM audit_key_certificates WHERE key_fingerprint = @fpr", new { fpr = secondKey.ToArray() });
            await Log(org).FlushAsync(CancellationToken.None);
            AuditVerifyReport deleted = await VerifyAsync(org);
            Assert.False(deleted.Intact);
            Assert.Equal("missing-audit-key-certificate", deleted.Fault);
            AuditEventRow certifiedSecond = (await Store(org).EventsAsync(0, 1000, CancellationToken.None))
                .Last(e => e.Action == AuditActions.AuditKeyCertify && e.Outcome == AuditOutcomes.Success);
            Assert.Equal(certifiedSecond.Seq, deleted.FirstBadSeq);

            // ... and signs a checkpoint far ahead with the stolen old key: the server serves the old key's certificate, but
            // this client pinned the newer one and refuses to countersign.
            await ExecAsync(org, """
                INSERT INTO audit_checkpoints (seq, chain_hash, time, signature, key_fingerprint, public_key)
                VALUES (1000000, @hash, 1, @stolenCheckpoint, @fpr, @spki)
                """, new
            {
                hash = Sha256Hash.Of([7]).ToArray(),
                stolenCheckpoint,
                fpr = firstKey.ToArray(),
                spki = oldSpki,
            });
            ProvenanceException superseded = await Assert.ThrowsAsync<ProvenanceException>(() => client.CountersignLatestAsync());
            Assert.Equal(ProvenanceFailure.Mismatch, superseded.Failure);
        }
    }

    private static AuditLog Log(TestOrganisation org) => org.Server.Services.GetRequiredService<AuditLog>();

    private static AuditStore Store(TestOrganisation org) => new(org.Database.Database);

    private static async Task<AuditVerifyReport> VerifyAsync(TestOrganisation org) =>
        await new AuditVerifier(Store(org)).VerifyAsync(Log(org).Key.PublicKey.ExportSpki(), CancellationToken.None);

    private static async Task<(int Exit, string Output)> RunVerifyAsync(TestOrganisation org, params string[] extra)
    {
        string dataDirectory = org.Server.Services.GetRequiredService<IConfiguration>()["Coffer:DataDirectory"]!;
        using StringWriter output = new();
        using StringWriter error = new();
        int exit = await AuditCommand.RunAsync(["audit", "verify", "--Coffer:DataDirectory=" + dataDirectory,
            .. org.Database.ServerSettings.Select(s => $"--{s.Key}={s.Value}"), .. extra], output, error);
        return (exit, output.ToString() + error);
    }

    private static Task<int> ExecAsync(TestOrganisation org, string sql, object? args = null) =>
        org.Database.Database.InTransactionAsync((c, tx) => c.ExecAsync(tx, sql, args, CancellationToken.None), CancellationToken.None);

    private static Task<int> ResignAsync(TestOrganisation org, long seq, byte[] signature, EcdsaP256PublicKey key) =>
        ExecAsync(org, "UPDATE audit_checkpoints SET signature = @signature, key_fingerprint = @fpr, public_key = @spki WHERE seq = @seq",
            new { signature, fpr = key.Fingerprint.ToArray(), spki = key.ExportSpki(), seq });

    private static async Task PostAsync(SignInResult signIn, AuditKeyCertificate certificate) =>
        await signIn.Session.ExchangeAsync(HttpMethod.Post, "/api/v1/audit/key-certificate",
            JsonSerializer.SerializeToUtf8Bytes(new AuditKeyCertificateDto(Base64Url.Encode(certificate.AuditPublicKey), certificate.Record.IssuedAt,
                Base64Url.Encode(certificate.Signature)), Json.AuditKeyCertificateDto), default);
}
