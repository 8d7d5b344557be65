using Coffer.Contracts.Common;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Restores;

namespace Coffer.Sdk.Tests.Restores;

/// <summary>The client's rule for the server's restore epoch (docs/adr/0013-restore-epoch.md).</summary>
public class RestoreEpochCheckTests
{
    private static readonly DateTimeOffset Restored = new(2025, 3, 4, 10, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Taken = new(2025, 3, 1, 2, 0, 0, TimeSpan.Zero);

    private static MetaResponse Meta(long epoch) =>
        new(1, "1.0.0", epoch, Restored.ToUnixTimeMilliseconds(), Taken.ToUnixTimeMilliseconds());

    private static Pins PinsWithVersions()
    {
        Pins pins = new();
        pins.ObserveItemVersion("0190a1b2-c3d4-7e5f-8a6b-0000000000ab", 5);
        return pins;
    }

    [Fact]
    public void Check_HigherEpoch_ThrowsServerRestored_NamingWhen_AndPinsNothingUntilAcknowledged()
    {
        Pins pins = PinsWithVersions();

        ServerRestoredException e = Assert.Throws<ServerRestoredException>(() => RestoreEpochCheck.Check(Meta(1), pins));

        Assert.Equal((0L, 1L, Restored, Taken), (e.PinnedEpoch, e.ServerEpoch, e.RestoredAt, e.BackupTakenAt));
        Assert.Contains("restored from a backup taken 2025-03-01 02:00 UTC on 2025-03-04 10:30 UTC", e.Message, StringComparison.Ordinal);
        Assert.Throws<ServerRestoredException>(() => RestoreEpochCheck.Check(Meta(1), pins));

        RestoreEpochCheck.Acknowledge(pins, e);

        Assert.Equal(1, pins.RestoreEpoch);
        RestoreEpochCheck.Check(Meta(1), pins);
        Assert.Equal(PinCheck.New, pins.ObserveItemVersion("0190a1b2-c3d4-7e5f-8a6b-0000000000ab", 3));
        Assert.Throws<ProvenanceException>(() => RestoreEpochCheck.Acknowledge(pins, e));
    }

    [Fact]
    public void Check_LowerEpoch_IsAProvenanceFailure()
    {
        Pins pins = PinsWithVersions();
        pins.AcceptRestore(2);

        ProvenanceException e = Assert.Throws<ProvenanceException>(() => RestoreEpochCheck.Check(Meta(1), pins));

        Assert.Equal(ProvenanceFailure.Mismatch, e.Failure);
        Assert.Equal(2, pins.RestoreEpoch);
    }

    [Fact]
    public void Check_SameEpoch_OrFreshPins_Passes()
    {
        Pins pins = PinsWithVersions();
        RestoreEpochCheck.Check(Meta(0), pins);

        Pins fresh = new();
        RestoreEpochCheck.Check(Meta(3), fresh);
        Assert.Equal(3, fresh.RestoreEpoch);
    }
}
