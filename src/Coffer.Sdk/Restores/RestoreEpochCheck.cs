using Coffer.Contracts;
using Coffer.Contracts.Common;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;

namespace Coffer.Sdk.Restores;

/// <summary>
/// The client's side of the restore epoch (docs/adr/0013-restore-epoch.md). Pins keep the highest vault and item
/// versions seen, so a server that goes back in time is caught — including one legitimately restored from a backup.
/// The server counts its restores in <c>GET /api/v1/meta</c>; a client checks it against its pins before it syncs:
/// a lower epoch is refused outright (<see cref="ProvenanceException"/>), a higher one stops with
/// <see cref="ServerRestoredException"/> until the person has been told and the caller calls <see cref="Acknowledge"/>,
/// which lets the older vault and item versions in. Key serials, revocation-list versions and pinned keys are never
/// relaxed, whatever the epoch.
/// </summary>
public static class RestoreEpochCheck
{
    /// <summary>Reads the server's meta and checks its restore epoch against <paramref name="pins"/>.</summary>
    /// <returns>The meta answer, when the epoch is the pinned one (or pinned now, for pins with no versions yet).</returns>
    /// <exception cref="ServerRestoredException">The server was restored since; tell the person, then <see cref="Acknowledge"/>.</exception>
    /// <exception cref="ProvenanceException">The server's epoch is lower than pinned.</exception>
    public static async Task<MetaResponse> CheckAsync(CofferConnection connection, Pins pins, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        MetaResponse meta = await connection.GetAsync("/api/v1/meta", CofferJsonContext.Default.MetaResponse, cancellationToken).ConfigureAwait(false);
        Check(meta, pins);
        return meta;
    }

    /// <summary>Checks a meta answer's restore epoch against <paramref name="pins"/> (see <see cref="CheckAsync"/>).</summary>
    /// <exception cref="ServerRestoredException">The server was restored since.</exception>
    /// <exception cref="ProvenanceException">The server's epoch is lower than pinned.</exception>
    public static void Check(MetaResponse meta, Pins pins)
    {
        ArgumentNullException.ThrowIfNull(meta);
        ArgumentNullException.ThrowIfNull(pins);
        if (meta.RestoreEpoch < 0)
        {
            throw new CofferProtocolException("The server's restore epoch is negative.");
        }
        switch (pins.ObserveRestoreEpoch(meta.RestoreEpoch))
        {
            case PinCheck.Conflict:
                throw new ProvenanceException(ProvenanceFailure.Mismatch,
                    "the server's restore epoch (lower than this account has seen: its data went back in time without a restore being recorded)");
            case PinCheck.Restored:
                throw new ServerRestoredException(pins.RestoreEpoch, meta.RestoreEpoch, Time(meta.RestoredAt), Time(meta.BackupTakenAt));
            case PinCheck.New:
            case PinCheck.Consistent:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(pins));
        }
    }

    /// <summary>
    /// Accepts the restore the person has been told about: pins its epoch and forgets the vault and item versions pinned
    /// before it (<see cref="Pins.AcceptRestore"/>). Seal and store the pins afterwards, as after any change; drop sync
    /// cursors and resync, since version numbers after the restore repeat ones seen before it.
    /// </summary>
    /// <exception cref="ProvenanceException">The epoch is not above the pinned one (acknowledged already, or stale).</exception>
    public static void Acknowledge(Pins pins, ServerRestoredException restore)
    {
        ArgumentNullException.ThrowIfNull(pins);
        ArgumentNullException.ThrowIfNull(restore);
        if (pins.AcceptRestore(restore.ServerEpoch) == PinCheck.Conflict)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, "the restore being acknowledged (its epoch is not above the pinned one)");
        }
    }

    private static DateTimeOffset? Time(long? ms) => ms is long t ? DateTimeOffset.FromUnixTimeMilliseconds(t) : null;
}
