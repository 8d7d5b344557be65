using System.Data.Common;
using System.Text.Json;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Revocations;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Groups;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;

namespace Coffer.Server.Features.Revocations;

internal enum RevocationOutcome
{
    Published,
    Invalid,
    Stale,
    Replayed,
}

/// <summary>
/// The signed certificate-revocation list (PROTOCOL.md §5.1, §5.2 <c>revocation</c>; docs/adr/0005 rule 5): every
/// version kept, each exactly one newer than the last, signed by the root or by an issuer the publisher holds, and
/// never withdrawing an entry. The server checks the signature it can; clients check everything again.
/// </summary>
internal sealed class RevocationStore(IDatabase database, AuditStore audit, AccountFeed feed)
{
    /// <summary>PostgreSQL: publications take this transaction lock, so two never race for one version.</summary>
    private const long RevocationLock = 0x436F_6666_6572_0002;

    private static readonly long ClockSkewMs = (long)TimeSpan.FromMinutes(5).TotalMilliseconds;

    public async Task<RevocationListResponse?> LatestAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        ListRow? row = await LatestAsync(c, null, ct);
        if (row is null)
        {
            return null;
        }
        List<IssuerCertificateDto> issuers = row.IssuerId is null ? [] : await CertificateReader.IssuersAsync(c, null, [row.IssuerId], ct);
        return new RevocationListResponse(row.ToDto(), issuers);
    }

    public Task<(RevocationOutcome Outcome, string? Problem)> PublishAsync(CofferCaller caller, RevocationListDto r, IReadOnlyList<RevocationEntry> entries,
        long now, CancellationToken ct) =>
        feed.InTransactionAsync<(RevocationOutcome, string?)>(async (c, tx, changed) =>
        {
            if (await c.ExecAsync(tx, "INSERT INTO session_writes (session_id, seq, created_at) VALUES (@SessionId, @seq, @now) ON CONFLICT DO NOTHING",
                new { caller.SessionId, seq = checked((long)caller.Seq), now }, ct) != 1)
            {
                return (RevocationOutcome.Replayed, null);
            }
            if (database.Engine == DatabaseEngine.Postgres)
            {
                await c.ExecAsync(tx, "SELECT pg_advisory_xact_lock(@key)", new { key = RevocationLock }, ct);
            }
            ListRow? latest = await LatestAsync(c, tx, ct);
            if (r.Version != (latest?.Version ?? 0) + 1)
            {
                return (RevocationOutcome.Stale, null);
            }
            if (Math.Abs(r.IssuedAt - now) > ClockSkewMs || r.IssuedAt < (latest?.IssuedAt ?? 0))
            {
                return (RevocationOutcome.Invalid, "issuedAt: must be now, and not before the current list's");
            }
            HashSet<string> kept = [.. latest?.EntryList() ?? []];
            if (!kept.IsSubsetOf(r.Entries))
            {
                return (RevocationOutcome.Invalid, "entries: must keep every entry of the current list (a revocation is never withdrawn)");
            }
            OrgRow org = (await c.OneAsync<OrgRow>(tx, "SELECT id AS Id, root_public_key AS RootPublicKey FROM organisations", null, ct))!;
            EcdsaP256PublicKey? key;
            if (r.IssuerId is null)
            {
                key = EcdsaP256.ImportPublicKey(org.RootPublicKey);
            }
            else
            {
                key = await CertificateReader.HeldIssuerKeyAsync(c, tx, r.IssuerId, caller.MemberId, now, ct);
                if (key is null)
                {
                    return (RevocationOutcome.Invalid, "issuerId: must name a current issuer certificate you hold, or be null for the root");
                }
                if (entries.Contains(new RevocationEntry(CertKinds.Issuer, r.IssuerId, 0)))
                {
                    key.Dispose();
                    return (RevocationOutcome.Invalid, "entries: an issuer cannot sign a list that revokes itself");
                }
            }
            using (key)
            {
                bool verifies = SetupValidator.TryRecord(() => new RevocationTbs(org.Id, r.Version, r.IssuedAt, entries), out RevocationTbs? record)
                    && record!.Verify(key, Base64Url.Decode(r.Signature));
                if (!verifies)
                {
                    return (RevocationOutcome.Invalid, "signature: must be the root's or your issuer's signature over the list");
                }
            }
            await c.ExecAsync(tx, """
                INSERT INTO revocation_lists (version, issued_at, issuer_id, entries, signature, created_at)
                VALUES (@Version, @IssuedAt, @IssuerId, @entries, @signature, @now)
                """, new
            {
                r.Version,
                r.IssuedAt,
                r.IssuerId,
                entries = JsonSerializer.Serialize(r.Entries.ToArray(), ServerJson.Default.StringArray),
                signature = Base64Url.Decode(r.Signature),
                now,
            }, ct);
            changed.ToEveryone(AccountChangeKinds.RevocationList, org.Id, r.Version);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.RevocationPublish, AuditTargets.RevocationList, null,
                details: AuditEntry.DetailsOf(("version", r.Version), ("entries", r.Entries.Count), ("signer", r.IssuerId ?? "root")))], ct);
            return (RevocationOutcome.Published, null);
        }, ct);

    private static Task<ListRow?> LatestAsync(DbConnection c, DbTransaction? tx, CancellationToken ct) =>
        c.OneAsync<ListRow>(tx, """
            SELECT version AS Version, issued_at AS IssuedAt, entries AS Entries, issuer_id AS IssuerId, signature AS Signature
            FROM revocation_lists ORDER BY version DESC LIMIT 1
            """, null, ct);

    private sealed class ListRow
    {
        public long Version { get; set; }
        public long IssuedAt { get; set; }
        public string Entries { get; set; } = "[]";
        public string? IssuerId { get; set; }
        public byte[] Signature { get; set; } = [];

        public string[] EntryList() => JsonSerializer.Deserialize(Entries, ServerJson.Default.StringArray) ?? [];

        public RevocationListDto ToDto() => new(Version, IssuedAt, EntryList(), IssuerId, Base64Url.Encode(Signature));
    }

    private sealed class OrgRow
    {
        public string Id { get; set; } = "";
        public byte[] RootPublicKey { get; set; } = [];
    }
}
