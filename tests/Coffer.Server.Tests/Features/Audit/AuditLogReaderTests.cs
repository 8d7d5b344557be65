using Coffer.Contracts.Audit;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Audit;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Audit;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Server.Features.Audit;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Audit;

/// <summary>
/// The activity log read and checked on the client (PROTOCOL.md §11; docs/adr/0016): every chain hash recomputed from the
/// exported fields, the newest checkpoint verified under a root-certified audit key, and the countersignatures the log records.
/// </summary>
public class AuditLogReaderTests
{
    [Theory, BothEngines]
    public async Task VerifyAsync_CertifiedAndCountersigned_IsValidAndNamesTheCountersigner(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult signIn, UnlockedAccount owner) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (owner)
        {
            AuditClient client = new(signIn.Session, owner);
            await client.CertifyShownKeyAsync((await client.GetKeyAsync()).Fingerprint);
            await Log(org).CheckpointAsync(CancellationToken.None);
            CountersignedCheckpoint countersigned = await client.CountersignLatestAsync();
            await Log(org).FlushAsync(CancellationToken.None);

            AuditLogReport report = await new AuditLogReader(signIn.Session, owner).VerifyAsync();

            Assert.True(report.IsValid);
            Assert.True(report.FromGenesis);
            Assert.Equal(1, report.FirstSeq);
            Assert.Equal(AuditChainFault.None, report.Chain.Fault);
            Assert.Equal(countersigned.Seq, report.Checkpoint!.Seq);
            Assert.Null(report.CheckpointProblem);
            RecordedCountersignature recorded = Assert.Single(report.OfCheckpoint);
            Assert.Equal(TestOrganisation.OwnerId, recorded.MemberId);
            Assert.True(report.Chain.Head.Seq >= countersigned.Seq);
        }
    }

    [Theory, BothEngines]
    public async Task VerifyAsync_UncertifiedAuditKey_ReportsItWithoutCallingTheLogBroken(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult signIn, UnlockedAccount owner) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (owner)
        {
            await Log(org).CheckpointAsync(CancellationToken.None);

            AuditLogReport report = await new AuditLogReader(signIn.Session, owner).VerifyAsync();

            Assert.True(report.IsValid);
            Assert.Null(report.Checkpoint);
            Assert.False(report.CheckpointFailed);
            Assert.Contains("not certified", report.CheckpointProblem, StringComparison.Ordinal);
            Assert.Empty(report.OfCheckpoint);
        }
    }

    [Fact]
    public async Task VerifyChain_AnEditedOrMissingEvent_IsCaughtAtItsSeq()
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(Engine.Sqlite);
        (SignInResult signIn, UnlockedAccount owner) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (owner)
        {
            await Log(org).FlushAsync(CancellationToken.None);
            IReadOnlyList<AuditEventDto> events = await new AuditLogReader(signIn.Session, owner).ExportAsync();
            Assert.True(events.Count >= 3);
            Assert.True(AuditLogReader.VerifyChain(events).IsValid);

            List<AuditEventDto> edited = [.. events];
            edited[1] = edited[1] with { Outcome = edited[1].Outcome == "success" ? "failure" : "success" };
            AuditChainResult changed = AuditLogReader.VerifyChain(edited);
            List<AuditEventDto> missing = [.. events];
            missing.RemoveAt(1);
            AuditChainResult gap = AuditLogReader.VerifyChain(missing);

            Assert.Equal((AuditChainFault.HashMismatch, events[1].Seq), (changed.Fault, changed.FirstBadSeq));
            Assert.Equal((AuditChainFault.SequenceBreak, events[1].Seq), (gap.Fault, gap.FirstBadSeq));
        }
    }

    [Fact]
    public async Task CertifyShownKeyAsync_AnotherFingerprintThanTheServersKey_CertifiesNothing()
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(Engine.Sqlite);
        (SignInResult signIn, UnlockedAccount owner) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (owner)
        {
            AuditClient client = new(signIn.Session, owner);
            Fingerprint shown = Fingerprint.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

            ProvenanceException refused = await Assert.ThrowsAsync<ProvenanceException>(() => client.CertifyShownKeyAsync(shown));

            Assert.Equal(ProvenanceFailure.Mismatch, refused.Failure);
            Assert.False((await client.GetKeyAsync()).IsCertified);
        }
    }

    private static AuditLog Log(TestOrganisation org) => org.Server.Services.GetRequiredService<AuditLog>();
}
