using System.Data.Common;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Audit;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Dapper;

namespace Coffer.Server.Tests.Features.Audit;

/// <summary>
/// The activity log (POLICY.md "Accounting", PROTOCOL.md §11): events of a real sign-in form a valid chain, and
/// <c>audit verify</c> detects an edited, deleted, swapped or truncated event and a checkpoint re-signed with another key.
/// </summary>
public class AuditLogTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task SignIn_AppendsAttributedEvents_WithAValidChain(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        await Assert.ThrowsAnyAsync<CofferException>(() => org.SignInOwnerAsync(password: "not the password at all 1234"));
        using SignInResult signIn = await org.SignInOwnerAsync();
        await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse);
        await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
        await Log(org).FlushAsync(CancellationToken.None);

        List<AuditEventRow> events = await Store(org).EventsAsync(0, 100, CancellationToken.None);
        // The first sign-in enrols the Owner's authenticator (docs/adr/0022): the factor, its first code, the backup codes.
        Assert.Equal(["org.create", "auth.signin", "auth.signin", "mfa.factor.add", "mfa.verify", "mfa.backup_codes.regenerate", "session.list",
            "account.keys.read"], events.Select(e => e.Action));
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        AuditEventRow failed = events[1];
        Assert.Equal(("failure", TestOrganisation.OwnerId, null), (failed.Outcome, failed.ActorMemberId, failed.SessionId));
        AuditEventRow signedIn = events[2];
        Assert.Equal(("success", TestOrganisation.OwnerId), (signedIn.Outcome, signedIn.ActorMemberId));
        Assert.Equal(signIn.Session.SessionId, signedIn.SessionId);
        Assert.Equal("0190a1b2-0000-7000-8000-00000000d001", signedIn.DeviceId);
        Assert.Equal("127.0.0.1", signedIn.Ip);
        Assert.All(events.Skip(3), e => Assert.Equal(signIn.Session.SessionId, e.SessionId));

        await Log(org).CheckpointAsync(CancellationToken.None);
        AuditVerifyReport report = await VerifyAsync(org);
        Assert.True(report.Intact, report.Message);
        Assert.Equal(events.Count, report.EventsChecked);
        Assert.Equal(1, report.CheckpointsChecked);
    }

    [Theory, BothEngines]
    public async Task Verify_EditedDeletedSwappedOrTruncatedEvent_NamesTheFirstBadSeq(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        await AppendAsync(org, 8);
        await Log(org).CheckpointAsync(CancellationToken.None);
        Snapshot original = await Snapshot.TakeAsync(org.Database.Database);
        long last = original.Events[^1].Seq;
        Assert.True((await VerifyAsync(org)).Intact);

        (string Column, string Value)[] edits =
        [
            ("time", "time + 1"), ("actor_member_id", "'01890a5d-ac96-774b-bcce-b302099a8057'"), ("device_id", "'01890a5d-ac96-774b-bcce-b302099a8058'"),
            ("session_id", "'01890a5d-ac96-774b-bcce-b302099a8059'"), ("ip", "'10.9.9.9'"), ("action", "'item.delete'"), ("target_kind", "'vault'"),
            ("target_id", "'01890a5d-ac96-774b-bcce-b302099a805a'"), ("outcome", "'failure'"), ("details", "'{\"n\":999}'"), ("details", "NULL"),
            ("hash", "(SELECT hash FROM audit_events WHERE seq = 2)"), ("action", "'NOT A TOKEN'"),
        ];
        foreach ((string column, string value) in edits)
        {
            await ExecAsync(org, $"UPDATE audit_events SET {column} = {value} WHERE seq = 4");
            AssertFault(await VerifyAsync(org), 4, column);
            await original.RestoreAsync(org.Database.Database);
        }

        await ExecAsync(org, "DELETE FROM audit_events WHERE seq = 4");
        AssertFault(await VerifyAsync(org), 4, "deleted");
        await original.RestoreAsync(org.Database.Database);

        await ExecAsync(org, "DELETE FROM audit_events WHERE seq = 1");
        AssertFault(await VerifyAsync(org), 1, "deleted first");
        await original.RestoreAsync(org.Database.Database);

        await ExecAsync(org, "UPDATE audit_events SET seq = 1000000 WHERE seq = 4");
        await ExecAsync(org, "UPDATE audit_events SET seq = 4 WHERE seq = 5");
        await ExecAsync(org, "UPDATE audit_events SET seq = 5 WHERE seq = 1000000");
        AssertFault(await VerifyAsync(org), 4, "swapped");
        await original.RestoreAsync(org.Database.Database);

        await ExecAsync(org, "DELETE FROM audit_events WHERE seq >= @from", new { from = last - 1 });
        AuditVerifyReport truncated = await VerifyAsync(org);
        AssertFault(truncated, last - 1, "truncated");
        Assert.Equal("truncated", truncated.Fault);
        await original.RestoreAsync(org.Database.Database);

        Assert.True((await VerifyAsync(org)).Intact);
    }

    [Theory, BothEngines]
    public async Task Verify_CheckpointResignedWithAnotherKey_IsDetected(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        await AppendAsync(org, 3);
        AuditCheckpointRow cp = (await Log(org).CheckpointAsync(CancellationToken.None))!;

        using EcdsaP256PrivateKey other = EcdsaP256.GenerateKey();
        byte[] signature = new CheckpointTbs(OrgId, cp.Seq, Sha256Hash.FromBytes(cp.ChainHash), cp.Time).Sign(other);
        await ExecAsync(org, "UPDATE audit_checkpoints SET signature = @signature, key_fingerprint = @fpr, public_key = @spki WHERE seq = @seq",
            new { signature, fpr = other.PublicKey.Fingerprint.ToArray(), spki = other.PublicKey.ExportSpki(), seq = cp.Seq });
        AuditVerifyReport report = await VerifyAsync(org);
        AssertFault(report, cp.Seq, "re-signed");
        Assert.Equal("bad-checkpoint-signature", report.Fault);

        // Put back as it was, the genuine signature verifies again.
        await ExecAsync(org, "UPDATE audit_checkpoints SET signature = @signature, key_fingerprint = @fpr, public_key = @spki WHERE seq = @seq",
            new { signature = cp.Signature, fpr = cp.KeyFingerprint, spki = cp.PublicKey, seq = cp.Seq });
        Assert.True((await VerifyAsync(org)).Intact);
    }

    [Theory, BothEngines]
    public async Task Purge_KeepsTheChainVerifiableFromTheCut(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        // Setup's event and five more are "old"; three come a day later. The purge cuts before the first kept one.
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long later = now + (long)TimeSpan.FromDays(1).TotalMilliseconds;
        await AppendAsync(org, 5);
        await Store(org).AppendAsync([.. Enumerable.Range(0, 3).Select(i => Entry(later + i))], CancellationToken.None);
        long cut = 6;

        long deleted = await Log(org).PurgeAsync(later - 1, CancellationToken.None);

        Assert.Equal(cut, deleted);
        List<AuditEventRow> after = await Store(org).EventsAsync(0, 100, CancellationToken.None);
        Assert.Equal(cut + 1, after[0].Seq);
        Assert.Equal("audit.purge", after[^1].Action);
        AuditCheckpointRow? kept = await Store(org).CheckpointAsync(cut, CancellationToken.None);
        Assert.NotNull(kept);
        AuditVerifyReport report = await VerifyAsync(org);
        Assert.True(report.Intact, report.Message);
        Assert.Equal(cut, report.StartSeq);

        // Deleting the first kept event is not a purge: there is no signed checkpoint at that cut.
        await ExecAsync(org, "DELETE FROM audit_events WHERE seq = @seq", new { seq = cut + 1 });
        AssertFault(await VerifyAsync(org), cut + 1, "deleted after purge");
    }

    [Theory, BothEngines]
    public async Task Command_AuditVerify_ExitsZeroWhenIntact_AndNonZeroWhenEdited(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        await AppendAsync(org, 3);
        await Log(org).CheckpointAsync(CancellationToken.None);
        string dataDirectory = org.Server.Services.GetRequiredService<IConfiguration>()["Coffer:DataDirectory"]!;
        string[] args = ["audit", "verify", "--Coffer:DataDirectory=" + dataDirectory,
            .. org.Database.ServerSettings.Select(s => $"--{s.Key}={s.Value}")];

        Assert.Equal(0, await CofferServer.RunAsync(args));
        await ExecAsync(org, "UPDATE audit_events SET outcome = 'failure' WHERE seq = 2");
        Assert.Equal(1, await CofferServer.RunAsync(args));
        Assert.Equal(2, await CofferServer.RunAsync(["audit", "verify", "--Coffer:DataDirectory=" + dataDirectory + "-nowhere",
            .. org.Database.ServerSettings.Select(s => $"--{s.Key}={s.Value}")]));
    }

    [Theory, BothEngines]
    public async Task Countersignature_ByTheOwner_IsVerifiedAndStored_AndAForgedOneIsRefused(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult signIn = await org.SignInOwnerAsync();
        await Log(org).FlushAsync(CancellationToken.None);
        await Log(org).CheckpointAsync(CancellationToken.None);
        AuditCheckpointDto cp = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/checkpoints/latest", Json.AuditCheckpointDto);
        Assert.True(new CheckpointTbs(cp.OrgId, cp.Seq, Sha256Hash.FromBytes(Base64Url.Decode(cp.ChainHash)), cp.Time)
            .Verify(EcdsaP256.ImportPublicKey(Base64Url.Decode(cp.AuditKey)), Base64Url.Decode(cp.Signature)));

        using UnlockedAccount account = await UnlockAsync(signIn);
        long time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        CountersignTbs tbs = new(cp.OrgId, cp.Seq, Sha256Hash.FromBytes(Base64Url.Decode(cp.ChainHash)), TestOrganisation.OwnerId, time);

        using EcdsaP256PrivateKey stranger = EcdsaP256.GenerateKey();
        CofferApiException forged = await Assert.ThrowsAsync<CofferApiException>(() => PostCountersignAsync(signIn,
            new AuditCountersignRequest(cp.Seq, cp.ChainHash, time, Base64Url.Encode(tbs.Sign(stranger)))));
        Assert.Equal(400, forged.Status);
        CofferApiException wrongHash = await Assert.ThrowsAsync<CofferApiException>(() => PostCountersignAsync(signIn,
            new AuditCountersignRequest(cp.Seq, Base64Url.Encode(new byte[32]), time, Base64Url.Encode(tbs.Sign(account.Keyset.SigningKey)))));
        Assert.Equal(400, wrongHash.Status);
        Assert.Empty(await Store(org).CountersignaturesAsync(CancellationToken.None));

        await PostCountersignAsync(signIn, new AuditCountersignRequest(cp.Seq, cp.ChainHash, time, Base64Url.Encode(tbs.Sign(account.Keyset.SigningKey))));
        AuditCountersignatureRow stored = Assert.Single(await Store(org).CountersignaturesAsync(CancellationToken.None));
        Assert.Equal((cp.Seq, TestOrganisation.OwnerId, time), (stored.Seq, stored.SignerId, stored.Time));
        AuditVerifyReport report = await VerifyAsync(org);
        Assert.True(report.Intact, report.Message);
        Assert.Equal(1, report.CountersignaturesChecked);

        // A countersignature altered in the database fails verification.
        byte[] altered = stored.Signature.ToArray();
        altered[10] ^= 1;
        await ExecAsync(org, "UPDATE audit_countersignatures SET signature = @altered", new { altered });
        AuditVerifyReport bad = await VerifyAsync(org);
        Assert.Equal(("bad-countersignature", cp.Seq), (bad.Fault, bad.FirstBadSeq));
    }

    [Theory, BothEngines]
    public async Task ReadApi_ListsAndExportsEvents_AndIsForbiddenOutsideOwnersAndAdministrators(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult signIn = await org.SignInOwnerAsync();

        AuditEventsResponse page = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/events?after=0&limit=1", Json.AuditEventsResponse);
        AuditEventDto first = Assert.Single(page.Events);
        Assert.Equal((1L, "org.create"), (first.Seq, first.Action));
        Assert.True(page.HasMore);
        byte[] export = await signIn.Session.ExchangeAsync(HttpMethod.Get, "/api/v1/audit/export?after=1&limit=10", default, default);
        AuditEventDto[] lines = [.. System.Text.Encoding.UTF8.GetString(export).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize(l, Json.AuditEventDto)!)];
        Assert.Equal("auth.signin", lines[0].Action);
        Assert.All(lines, l => Assert.Equal(32, Base64Url.Decode(l.Hash).Length));
        CofferApiException badLimit = await Assert.ThrowsAsync<CofferApiException>(() =>
            signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/events?limit=0", Json.AuditEventsResponse));
        Assert.Equal(400, badLimit.Status);

        // The same member outside the Owners and Administrators groups may not see the log.
        await ExecAsync(org, "DELETE FROM group_memberships WHERE member_id = @id", new { id = TestOrganisation.OwnerId });
        foreach (string path in (string[])["/api/v1/audit/events", "/api/v1/audit/export", "/api/v1/audit/checkpoints/latest"])
        {
            CofferApiException forbidden = await Assert.ThrowsAsync<CofferApiException>(() => signIn.Session.ExchangeAsync(HttpMethod.Get, path, default, default));
            Assert.Equal(403, forbidden.Status);
        }
        CofferApiException countersign = await Assert.ThrowsAsync<CofferApiException>(() => PostCountersignAsync(signIn,
            new AuditCountersignRequest(1, Base64Url.Encode(new byte[32]), 1, Base64Url.Encode(new byte[64]))));
        Assert.Equal(403, countersign.Status);
    }

    private static string OrgId => TestOrganisation.Setup.Request.Organisation.Root.OrgId;

    private static AuditLog Log(TestOrganisation org) => org.Server.Services.GetRequiredService<AuditLog>();

    private static AuditStore Store(TestOrganisation org) => new(org.Database.Database);

    private static async Task<AuditVerifyReport> VerifyAsync(TestOrganisation org) =>
        await new AuditVerifier(Store(org)).VerifyAsync(Log(org).Key.PublicKey.ExportSpki(), CancellationToken.None);

    private static AuditEntry Entry(long time) => new(time, TestOrganisation.OwnerId, "0190a1b2-0000-7000-8000-00000000d001", null, "192.0.2.7",
        "item.read", "item", "01890a5d-ac96-774b-bcce-b302099a8057", "success", AuditEntry.DetailsOf(("n", time)));

    private static async Task AppendAsync(TestOrganisation org, int count)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Store(org).AppendAsync([.. Enumerable.Range(0, count).Select(i => Entry(now + i))], CancellationToken.None);
    }

    private static void AssertFault(AuditVerifyReport report, long seq, string what)
    {
        Assert.False(report.Intact, what + ": not detected");
        Assert.True(report.FirstBadSeq == seq, $"{what}: expected seq {seq}, got {report.FirstBadSeq} ({report.Message})");
    }

    private static Task<int> ExecAsync(TestOrganisation org, string sql, object? args = null) =>
        org.Database.Database.InTransactionAsync((c, tx) => c.ExecAsync(tx, sql, args, CancellationToken.None), CancellationToken.None);

    private static async Task PostCountersignAsync(SignInResult signIn, AuditCountersignRequest request) =>
        await signIn.Session.ExchangeAsync(HttpMethod.Post, "/api/v1/audit/countersignatures",
            JsonSerializer.SerializeToUtf8Bytes(request, Json.AuditCountersignRequest), default);

    private static async Task<UnlockedAccount> UnlockAsync(SignInResult signIn)
    {
        AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
        using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
        return AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, TestOrganisation.Setup.Account, new Pins(), TimeProvider.System);
    }

    /// <summary>The log's rows, to put back after each tampering.</summary>
    private sealed record Snapshot(List<AuditEventRow> Events)
    {
        public static async Task<Snapshot> TakeAsync(IDatabase database)
        {
            await using DbConnection c = await database.OpenAsync(CancellationToken.None);
            return new Snapshot([.. await c.QueryAsync<AuditEventRow>($"SELECT {AuditStore.EventColumns} FROM audit_events ORDER BY seq")]);
        }

        public Task RestoreAsync(IDatabase database) => database.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecAsync(tx, "DELETE FROM audit_events", null, CancellationToken.None);
            foreach (AuditEventRow e in Events)
            {
                await c.ExecAsync(tx, """
                    INSERT INTO audit_events (seq, time, actor_member_id, device_id, session_id, ip, action, target_kind, target_id, outcome, details, hash)
                    VALUES (@Seq, @Time, @ActorMemberId, @DeviceId, @SessionId, @Ip, @Action, @TargetKind, @TargetId, @Outcome, @Details, @Hash)
                    """, e, CancellationToken.None);
            }
        }, CancellationToken.None);
    }
}
