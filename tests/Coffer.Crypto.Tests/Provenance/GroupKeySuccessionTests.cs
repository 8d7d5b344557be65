using System.Security.Cryptography;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Signatures;

namespace Coffer.Crypto.Tests.Provenance;

/// <summary>Group key successions (PROTOCOL.md §5.1 "signed by the subject's previous signing key"; docs/adr/0010).</summary>
public sealed class GroupKeySuccessionTests : IDisposable
{
    private const string OrgId = "0190a1b2-0000-7000-8000-000000000001";
    private const string GroupId = "0190a1b2-0000-7000-8000-0000000000e1";
    private const string KeysetId = "0190a1b2-0000-7000-8000-0000000000e2";
    private const string IssuerId = "0190a1b2-0000-7000-8000-0000000000f1";

    private readonly EcdsaP256PrivateKey[] _keys = [EcdsaP256.GenerateKey(), EcdsaP256.GenerateKey(), EcdsaP256.GenerateKey(), EcdsaP256.GenerateKey()];

    [Fact]
    public void VerifyChain_FromThePinnedSerialThroughEachSuccession_Holds()
    {
        List<GroupSuccession> history = History(3);
        Assert.Equal(ProvenanceFailure.None, GroupKeySuccession.VerifyChain(Pin(history[0]), history[2].Certificate, history));
        Assert.Equal(ProvenanceFailure.None, GroupKeySuccession.VerifyChain(Pin(history[1]), history[2].Certificate, history));
    }

    [Fact]
    public void VerifyChain_ASuccessionSignedByAnotherKey_IsRefused()
    {
        List<GroupSuccession> history = History(3);
        // Serial 3 signed by a key that is not serial 2's (a server or an issuer substituting the group key).
        history[2] = history[2] with { Signature = GroupKeySuccession.Sign(_keys[3], history[2].Certificate.Record) };
        Assert.Equal(ProvenanceFailure.BadSignature, GroupKeySuccession.VerifyChain(Pin(history[0]), history[2].Certificate, history));
    }

    [Fact]
    public void VerifyChain_AMissingStepOrAForeignPin_IsRefused()
    {
        List<GroupSuccession> history = History(3);
        Assert.Equal(ProvenanceFailure.Mismatch, GroupKeySuccession.VerifyChain(Pin(history[0]), history[2].Certificate, [history[0], history[2]]));
        PinnedKeys foreign = new(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), 1);
        Assert.Equal(ProvenanceFailure.Mismatch, GroupKeySuccession.VerifyChain(foreign, history[2].Certificate, history));
    }

    [Fact]
    public void VerifyChain_TheSameOrAnOlderSerial_IsNeverARotation()
    {
        List<GroupSuccession> history = History(2);
        Assert.Equal(ProvenanceFailure.Mismatch, GroupKeySuccession.VerifyChain(Pin(history[1]), history[1].Certificate, history));
        Assert.Equal(ProvenanceFailure.Mismatch, GroupKeySuccession.VerifyChain(Pin(history[1]), history[0].Certificate, history));
    }

    [Fact]
    public void Verify_ChecksTheNextRecordUnderThePreviousKey()
    {
        List<GroupSuccession> history = History(2);
        GroupCertTbs next = history[1].Certificate.Record;
        Assert.True(GroupKeySuccession.Verify(_keys[0].PublicKey.Spki, next, history[1].Signature));
        Assert.False(GroupKeySuccession.Verify(_keys[1].PublicKey.Spki, next, history[1].Signature));
        Assert.False(GroupKeySuccession.Verify([1, 2, 3], next, history[1].Signature));
    }

    public void Dispose()
    {
        foreach (EcdsaP256PrivateKey key in _keys)
        {
            key.Dispose();
        }
    }

    /// <summary>Serials 1..n of one group, serial k's signing key being <c>_keys[k-1]</c>, each later serial signed by the one before.</summary>
    private List<GroupSuccession> History(int serials)
    {
        List<GroupSuccession> history = [];
        for (int serial = 1; serial <= serials; serial++)
        {
            byte[] signingSpki = _keys[serial - 1].PublicKey.ExportSpki();
            GroupCertTbs record = new(OrgId, GroupId, GroupKinds.Custom, Fingerprint.FromBytes(RandomNumberGenerator.GetBytes(32)),
                Fingerprint.FromSpki(signingSpki), KeysetId, serial, IssuerId, 1_767_225_600_000 + serial);
            // The issuer's signature is not this chain's business (the current certificate's chain to the root is checked apart).
            GroupCertificate certificate = new(record, [], signingSpki, new byte[64]);
            history.Add(new GroupSuccession(certificate, serial == 1 ? null : GroupKeySuccession.Sign(_keys[serial - 2], record)));
        }
        return history;
    }

    private static PinnedKeys Pin(GroupSuccession entry) =>
        new(entry.Certificate.Record.EncFpr.ToArray(), entry.Certificate.Record.SigFpr.ToArray(), (int)entry.Certificate.Record.KeysetSerial);
}
