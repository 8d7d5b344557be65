using System.Data.Common;
using Coffer.Contracts.Keys;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Setup;

namespace Coffer.Server.Features.Account;

internal enum PinsWrite
{
    Stored,
    Stale,
    UnknownKeyset,
}

/// <summary>The member's sealed pins record: the server keeps the newest version and cannot read it.</summary>
internal sealed class PinsStore(IDatabase database)
{
    public async Task<PinsDto?> FindAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        Row? r = await c.OneAsync<Row>(null,
            "SELECT keyset_id AS KeysetId, keyset_serial AS KeysetSerial, version AS Version, sealed_pins AS SealedPins FROM pins WHERE member_id = @memberId",
            new { memberId }, ct);
        return r is null ? null : new PinsDto(r.KeysetId, (int)r.KeysetSerial, r.Version, AccountStore.Envelope(r.SealedPins));
    }

    /// <summary>Stores a newer version; an older or equal one is refused (a rollback), and the keyset must be the member's own.</summary>
    public Task<PinsWrite> StoreAsync(string memberId, PinsDto pins, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            long owned = await c.ScalarAsync<long>(tx, "SELECT count(*) FROM keysets WHERE id = @KeysetId AND serial = @serial AND member_id = @memberId",
                new { pins.KeysetId, serial = (long)pins.KeysetSerial, memberId }, ct);
            if (owned == 0)
            {
                return PinsWrite.UnknownKeyset;
            }
            long? current = await c.OneAsync<long?>(tx, "SELECT version FROM pins WHERE member_id = @memberId", new { memberId }, ct);
            if (current is long v && pins.Version <= v)
            {
                return PinsWrite.Stale;
            }
            await c.ExecAsync(tx, """
                INSERT INTO pins (member_id, keyset_id, keyset_serial, version, sealed_pins, updated_at)
                VALUES (@memberId, @KeysetId, @serial, @Version, @sealed, @now)
                ON CONFLICT (member_id) DO UPDATE SET keyset_id = excluded.keyset_id, keyset_serial = excluded.keyset_serial,
                    version = excluded.version, sealed_pins = excluded.sealed_pins, updated_at = excluded.updated_at
                """, new { memberId, pins.KeysetId, serial = (long)pins.KeysetSerial, pins.Version, @sealed = SetupStore.EnvelopeJson(pins.SealedPins), now }, ct);
            return PinsWrite.Stored;
        }, ct);

    private sealed class Row
    {
        public string KeysetId { get; set; } = "";
        public long KeysetSerial { get; set; }
        public long Version { get; set; }
        public string SealedPins { get; set; } = "";
    }
}
