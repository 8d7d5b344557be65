using System.Security.Cryptography;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;

namespace Coffer.Crypto.Tests.Provenance;

public class PinsTests
{
    private const string Member = "0190a1b2-c3d4-7e5f-8a6b-000000000001";
    private const string Vault = "0190a1b2-c3d4-7e5f-8a6b-0000000000aa";

    private static PinnedKeys Keys(int serial) => new(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), serial);

    [Fact]
    public void Organisation_SecondDifferentFingerprint_IsConflict()
    {
        Pins pins = new();
        byte[] fpr = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(PinCheck.New, pins.PinOrganisation(fpr));
        Assert.Equal(PinCheck.Consistent, pins.PinOrganisation(fpr));
        Assert.Equal(PinCheck.Conflict, pins.PinOrganisation(RandomNumberGenerator.GetBytes(32)));
    }

    [Fact]
    public void SameContentAs_IgnoresTheRecordVersion_ButNoticesEveryPin()
    {
        Pins pins = new();
        pins.PinOrganisation(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(PinCheck.New, pins.CheckSubjectKeys(Member, Keys(1)));
        Pins copy = new();
        copy.MergeFrom(pins);
        Assert.True(copy.SameContentAs(pins));

        using (Keyset keyset = Keyset.Generate(Member))
        {
            _ = copy.Seal(keyset);
        }
        Assert.NotEqual(pins.RecordVersion, copy.RecordVersion);
        Assert.True(copy.SameContentAs(pins));
        Assert.Equal(PinCheck.New, copy.ObserveItemVersion(Vault, 3));
        Assert.False(copy.SameContentAs(pins));
        Assert.False(pins.SameContentAs(copy));
    }

    [Fact]
    public void SubjectKeys_SubstitutedKey_IsConflict_UntilAVerifiedRotationReplacesIt()
    {
        Pins pins = new();
        PinnedKeys first = Keys(1);
        Assert.Equal(PinCheck.New, pins.CheckSubjectKeys(Member, first));
        Assert.Equal(PinCheck.Consistent, pins.CheckSubjectKeys(Member, first with { }));
        PinnedKeys substituted = Keys(1);
        Assert.Equal(PinCheck.Conflict, pins.CheckSubjectKeys(Member, substituted));
        Assert.Same(first, pins.SubjectKeys(Member));

        PinnedKeys rotated = Keys(2);
        Assert.Equal(PinCheck.Conflict, pins.ReplaceSubjectKeys(Member, Keys(1)));
        Assert.Equal(PinCheck.Consistent, pins.ReplaceSubjectKeys(Member, rotated));
        Assert.Equal(PinCheck.Consistent, pins.CheckSubjectKeys(Member, rotated));
    }

    [Fact]
    public void Counters_NeverGoDown()
    {
        Pins pins = new();
        Assert.Equal(PinCheck.New, pins.ObserveVaultKeySerial(Vault, 3));
        Assert.Equal(PinCheck.Conflict, pins.ObserveVaultKeySerial(Vault, 2));
        Assert.Equal(PinCheck.Consistent, pins.ObserveVaultKeySerial(Vault, 4));
        Assert.Equal(PinCheck.New, pins.ObserveItemVersion("i", 7));
        Assert.Equal(PinCheck.Conflict, pins.ObserveItemVersion("i", 6));
        Assert.Equal(7, pins.ItemVersion("i"));
        Assert.Equal(PinCheck.New, pins.ObserveIterations(650_000));
        Assert.Equal(PinCheck.Conflict, pins.ObserveIterations(649_999));
        Assert.Equal(PinCheck.New, pins.ObserveRevocationList(5, 1000));
        Assert.Equal(PinCheck.Conflict, pins.ObserveRevocationList(4, 2000));
    }

    [Fact]
    public void RevocationListFresh_OnlyWithin24Hours()
    {
        Pins pins = new();
        Assert.False(pins.RevocationListFresh(0));
        pins.ObserveRevocationList(1, 1_000_000);
        Assert.True(pins.RevocationListFresh(1_000_000 + 24 * 3600 * 1000));
        Assert.False(pins.RevocationListFresh(1_000_001 + 24 * 3600 * 1000));
    }

    [Fact]
    public void SealOpen_RoundTrip_AndAnOlderRecordCannotPassAsNewer()
    {
        using Keyset keyset = Keyset.Generate(Member);
        Pins pins = new();
        pins.PinOrganisation(RandomNumberGenerator.GetBytes(32));
        pins.CheckSubjectKeys(Member, Keys(1));
        pins.ObserveVaultKeySerial(Vault, 2);
        pins.ObserveItemVersion("item", 9);
        pins.ObserveIterations(700_000);
        (long v1, Envelope sealed1) = pins.Seal(keyset);
        pins.ObserveItemVersion("item", 10);
        (long v2, Envelope sealed2) = pins.Seal(keyset);

        Pins? opened = Pins.Open(keyset, v2, sealed2);
        Assert.NotNull(opened);
        Assert.Equal(10, opened.ItemVersion("item"));
        Assert.Equal(2, opened.VaultKeySerial(Vault));
        Assert.Equal(700_000, opened.LastIterations);
        Assert.Equal(pins.OrganisationFingerprint, opened.OrganisationFingerprint);
        Assert.Null(Pins.Open(keyset, v2, sealed1));           // old record relabelled as new
        Assert.NotNull(Pins.Open(keyset, v1, sealed1));
        using Keyset other = Keyset.Generate(Member);
        Assert.Null(Pins.Open(other, v2, sealed2));
    }

    [Fact]
    public void MergeFrom_TakesTheHighestAndReportsContradictions()
    {
        Pins device = new();
        Pins server = new();
        device.ObserveItemVersion("i", 5);
        server.ObserveItemVersion("i", 3);
        server.ObserveItemVersion("j", 2);
        PinnedKeys k = Keys(1);
        device.CheckSubjectKeys(Member, k);
        server.CheckSubjectKeys(Member, k);
        Assert.Equal(PinCheck.Consistent, device.MergeFrom(server));
        Assert.Equal(5, device.ItemVersion("i"));
        Assert.Equal(2, device.ItemVersion("j"));

        Pins forged = new();
        forged.CheckSubjectKeys(Member, Keys(1));
        Assert.Equal(PinCheck.Conflict, device.MergeFrom(forged));
        Assert.Same(k, device.SubjectKeys(Member));
    }

    // Restore epochs: docs/adr/0013-restore-epoch.md.

    [Fact]
    public void ObserveRestoreEpoch_Lower_IsConflict_Equal_IsConsistent()
    {
        Pins pins = new();
        pins.ObserveItemVersion("i", 4);
        Assert.Equal(PinCheck.Consistent, pins.ObserveRestoreEpoch(0));
        Assert.Equal(PinCheck.Restored, pins.ObserveRestoreEpoch(2));
        Assert.Equal(PinCheck.Consistent, pins.AcceptRestore(2));
        Assert.Equal(PinCheck.Conflict, pins.ObserveRestoreEpoch(1));
        Assert.Equal(PinCheck.Consistent, pins.ObserveRestoreEpoch(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => pins.ObserveRestoreEpoch(-1));
    }

    [Fact]
    public void ObserveRestoreEpoch_Higher_ChangesNothingUntilAccepted_ThenOnlyVersionsAreRelaxed()
    {
        Pins pins = new();
        PinnedKeys k = Keys(2);
        pins.CheckSubjectKeys(Member, k);
        pins.ObserveVaultKeySerial(Vault, 3);
        pins.ObserveVaultVersion(Vault, 40);
        pins.ObserveItemVersion("i", 7);
        pins.ObserveRevocationList(5, 1000);
        pins.ObserveIterations(700_000);

        Assert.Equal(PinCheck.Restored, pins.ObserveRestoreEpoch(1));
        Assert.Equal(0, pins.RestoreEpoch);
        Assert.Equal(PinCheck.Conflict, pins.ObserveItemVersion("i", 6));

        Assert.Equal(PinCheck.Consistent, pins.AcceptRestore(1));
        Assert.Equal(1, pins.RestoreEpoch);
        Assert.Equal(PinCheck.New, pins.ObserveItemVersion("i", 6));
        Assert.Equal(PinCheck.New, pins.ObserveVaultVersion(Vault, 30));
        // What guards keys never goes back, whatever the epoch.
        Assert.Equal(PinCheck.Conflict, pins.ObserveVaultKeySerial(Vault, 2));
        Assert.Equal(PinCheck.Conflict, pins.ObserveRevocationList(4, 900));
        Assert.Equal(PinCheck.Conflict, pins.ObserveIterations(650_000));
        Assert.Equal(PinCheck.Conflict, pins.CheckSubjectKeys(Member, Keys(2)));
        Assert.Equal(PinCheck.Conflict, pins.AcceptRestore(1));
    }

    [Fact]
    public void ObserveRestoreEpoch_Higher_WithNoVersionsPinned_IsTakenAsNew()
    {
        Pins pins = new();
        pins.ObserveVaultKeySerial(Vault, 1);
        Assert.Equal(PinCheck.New, pins.ObserveRestoreEpoch(3));
        Assert.Equal(3, pins.RestoreEpoch);
    }

    [Fact]
    public void SealOpen_KeepsTheRestoreEpoch_AndARecordWithoutOneOpensAtZero()
    {
        using Keyset keyset = Keyset.Generate(Member);
        Pins pins = new();
        pins.ObserveItemVersion("i", 2);
        pins.AcceptRestore(4);
        (long version, Envelope sealedPins) = pins.Seal(keyset);
        Assert.Equal(4, Pins.Open(keyset, version, sealedPins)!.RestoreEpoch);

        // A record written before restore epochs existed.
        Pins? old = Pins.FromJson("""{"v":1,"recordVersion":1,"iterations":0,"crlVersion":0,"crlIssuedAt":0,"subjects":{},"vaultKeys":{},"vaults":{},"items":{"i":3}}"""u8);
        Assert.NotNull(old);
        Assert.Equal(0, old.RestoreEpoch);
        Assert.Equal(3, old.ItemVersion("i"));
    }

    [Fact]
    public void ObserveAuditKeyCertificate_Older_OrAnotherKeyAtTheSameInstant_IsConflict()
    {
        // docs/adr/0016: the newest audit-key certificate names the current key; an older one names a superseded key.
        byte[] first = RandomNumberGenerator.GetBytes(32);
        byte[] second = RandomNumberGenerator.GetBytes(32);
        Pins pins = new();
        Assert.Equal(PinCheck.New, pins.ObserveAuditKeyCertificate(100, first));
        Assert.Equal(PinCheck.Consistent, pins.ObserveAuditKeyCertificate(100, first));
        Assert.Equal(PinCheck.Conflict, pins.ObserveAuditKeyCertificate(100, second));
        Assert.Equal(PinCheck.Consistent, pins.ObserveAuditKeyCertificate(200, second));
        Assert.Equal(PinCheck.Conflict, pins.ObserveAuditKeyCertificate(150, first));
        Assert.Equal(200L, pins.AuditKeyIssuedAt);
        Assert.Equal(second, pins.AuditKeyFingerprint);

        // Sealed and opened, the pin survives; merged, the newer wins and a contradiction is reported.
        using Keyset keyset = Keyset.Generate(Member);
        (long version, Envelope sealedPins) = pins.Seal(keyset);
        Pins opened = Pins.Open(keyset, version, sealedPins)!;
        Assert.Equal(200L, opened.AuditKeyIssuedAt);
        Assert.Equal(second, opened.AuditKeyFingerprint);
        Pins older = new();
        older.ObserveAuditKeyCertificate(100, first);
        Assert.Equal(PinCheck.Consistent, older.MergeFrom(opened));
        Assert.Equal(200L, older.AuditKeyIssuedAt);
        Assert.Equal(second, older.AuditKeyFingerprint);
        Pins contradicting = new();
        contradicting.ObserveAuditKeyCertificate(200, first);
        Assert.Equal(PinCheck.Conflict, contradicting.MergeFrom(opened));
        Assert.Equal(first, contradicting.AuditKeyFingerprint);
    }

    [Fact]
    public void MergeFrom_AHigherEpochBringsItsVersions_ALowerOneBringsNone()
    {
        Pins device = new();
        device.ObserveItemVersion("i", 9);
        device.ObserveVaultKeySerial(Vault, 3);
        Pins accepted = new();
        accepted.ObserveItemVersion("i", 1);
        accepted.AcceptRestore(1);
        accepted.ObserveItemVersion("i", 4);
        accepted.ObserveVaultKeySerial(Vault, 2);

        Assert.Equal(PinCheck.Consistent, device.MergeFrom(accepted));
        Assert.Equal((1L, 4L, 3), (device.RestoreEpoch, device.ItemVersion("i"), device.VaultKeySerial(Vault)));

        Pins stale = new();
        stale.ObserveItemVersion("i", 50);
        stale.ObserveItemVersion("j", 5);
        device.MergeFrom(stale);
        Assert.Equal((1L, 4L, 0L), (device.RestoreEpoch, device.ItemVersion("i"), device.ItemVersion("j")));
    }
}
