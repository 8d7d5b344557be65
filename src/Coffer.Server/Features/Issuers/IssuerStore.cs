using System.Data.Common;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Issuers;
using Coffer.Contracts.Keys;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Groups;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;

namespace Coffer.Server.Features.Issuers;

internal enum IssuerOutcome
{
    Done,
    Forbidden,
    Invalid,
    Replayed,
}

/// <summary>An issuer change's result; <see cref="Detail"/> names the problem as <c>field: message</c> (or the refusal).</summary>
internal sealed record IssuerResult(IssuerOutcome Outcome, string? Detail = null, bool Renewal = false)
{
    public static IssuerResult Invalid(string problem) => new(IssuerOutcome.Invalid, problem);

    public static IssuerResult Forbidden(string detail) => new(IssuerOutcome.Forbidden, detail);
}

/// <summary>
/// Issuer keys of administrators (PROTOCOL.md §5.1; docs/adr/0015): an administrator's request (its public key and the
/// private key sealed under its own keyset key), the Owner's certificate by the organisation root, and renewals of it.
/// The server checks what it can — who asks and who certifies, the root's signature, that the certificate names the
/// requested key, holder and role, at most 90 days, and that the issuer is not revoked — and stores it; clients verify
/// every issuer certificate to their pinned root again.
/// </summary>
internal sealed class IssuerStore(IDatabase database, AuditStore audit, AccountFeed feed)
{
    /// <summary>The most an issuer certificate may be valid (§5.1).</summary>
    public static readonly long MaximumValidityMs = (long)TimeSpan.FromDays(90).TotalMilliseconds;

    private static readonly long ClockSkewMs = (long)TimeSpan.FromMinutes(5).TotalMilliseconds;

    /// <summary>PostgreSQL: issuer changes take this transaction lock, so a certification and a renewal never race.</summary>
    private const long IssuerLock = 0x436F_6666_6572_0003;

    public Task<IssuerResult> RequestAsync(CofferCaller caller, IssuerKeyRequest r, long now, CancellationToken ct) =>
        InWriteAsync(caller, now, async (c, tx, changed) =>
        {
            if (!await IsAdministratorAsync(c, tx, caller.MemberId, ct))
            {
                return IssuerResult.Forbidden("Only members of the Owners or Administrators group hold an issuer key.");
            }
            KeysetRow keyset = (await c.OneAsync<KeysetRow>(tx,
                "SELECT id AS Id, serial AS Serial FROM keysets WHERE member_id = @MemberId ORDER BY serial DESC LIMIT 1", new { caller.MemberId }, ct))!;
            if (!string.Equals(r.SealedPrivateKey.Kid, keyset.Kid, StringComparison.Ordinal))
            {
                return IssuerResult.Invalid("sealedPrivateKey: must be sealed under your current keyset key");
            }
            // Issuer ids are never reused (docs/adr/0004): an issuer revocation names the id, not a key.
            if (await c.ScalarAsync<long>(tx, """
                SELECT (SELECT count(*) FROM certificates WHERE kind = 'issuer' AND subject_id = @IssuerId)
                     + (SELECT count(*) FROM issuer_requests WHERE issuer_id = @IssuerId AND holder_id <> @MemberId)
                """, new { r.IssuerId, caller.MemberId }, ct) > 0)
            {
                return IssuerResult.Invalid("issuerId: must be a new issuer id");
            }
            byte[] spki = Base64Url.Decode(r.PublicKey);
            await c.ExecAsync(tx, "DELETE FROM issuer_requests WHERE holder_id = @MemberId", new { caller.MemberId }, ct);
            await c.ExecAsync(tx, """
                INSERT INTO issuer_requests (holder_id, issuer_id, role, public_key, fingerprint, sealed_private_key, created_at)
                VALUES (@MemberId, @IssuerId, @Role, @spki, @fingerprint, @sealed, @now)
                """, new
            {
                caller.MemberId,
                r.IssuerId,
                r.Role,
                spki,
                fingerprint = Fingerprint.FromSpki(spki).ToArray(),
                @sealed = SetupStore.EnvelopeJson(r.SealedPrivateKey),
                now,
            }, ct);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.IssuerRequest, AuditTargets.Issuer, r.IssuerId)], ct);
            return new IssuerResult(IssuerOutcome.Done);
        }, ct);

    /// <summary>Pending requests of current administrators, oldest first; null when the caller is not an Owner.</summary>
    public async Task<IssuerRequestListResponse?> PendingAsync(string callerId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        if (!await IsOwnerAsync(c, null, callerId, ct))
        {
            return null;
        }
        List<RequestRow> rows = await c.ListAsync<RequestRow>(null, """
            SELECT r.issuer_id AS IssuerId, r.role AS Role, r.holder_id AS HolderId, r.public_key AS PublicKey, r.fingerprint AS Fingerprint,
                   r.sealed_private_key AS SealedPrivateKey, r.created_at AS CreatedAt
            FROM issuer_requests r
            WHERE EXISTS (SELECT 1 FROM group_memberships gm JOIN groups g ON g.id = gm.group_id JOIN members m ON m.id = gm.member_id
                          WHERE gm.member_id = r.holder_id AND g.kind IN ('owners', 'administrators') AND m.state = 'active' AND m.removed_at IS NULL)
            ORDER BY r.created_at, r.holder_id
            """, null, ct);
        return new IssuerRequestListResponse([.. rows.Select(r => new PendingIssuerRequestDto(r.IssuerId, r.Role, r.HolderId,
            Base64Url.Encode(r.PublicKey), r.CreatedAt))]);
    }

    /// <summary>
    /// Stores an issuer certificate signed by the root: for a pending request's key (the request's sealed key goes with
    /// it), or renewing an issuer with the same key, holder and role and a later expiry (the sealed key is kept).
    /// </summary>
    public Task<IssuerResult> CertifyAsync(CofferCaller caller, IssuerCertificateDto cert, long now, CancellationToken ct) =>
        InWriteAsync(caller, now, async (c, tx, changed) =>
        {
            if (!await IsOwnerAsync(c, tx, caller.MemberId, ct))
            {
                return IssuerResult.Forbidden("Only Owners certify issuer keys: it takes the organisation's root key.");
            }
            if (cert.Role != IssuerRoles.Admin)
            {
                return IssuerResult.Invalid("certificate.role: must be admin");
            }
            if (cert.ExpiresAt <= cert.IssuedAt || cert.ExpiresAt - cert.IssuedAt > MaximumValidityMs)
            {
                return IssuerResult.Invalid("certificate.expiresAt: must be after issuedAt, by at most 90 days");
            }
            if (Math.Abs(cert.IssuedAt - now) > ClockSkewMs)
            {
                return IssuerResult.Invalid("certificate.issuedAt: must be now");
            }
            if (!await IsAdministratorAsync(c, tx, cert.HolderId, ct))
            {
                return IssuerResult.Invalid("certificate.holderId: must be an active member of the Owners or Administrators group");
            }
            if (await CertificateReader.IsIssuerRevokedAsync(c, tx, cert.IssuerId, ct))
            {
                return IssuerResult.Invalid("certificate.issuerId: is revoked; a new issuer id and key are needed");
            }
            byte[] spki = Base64Url.Decode(cert.PublicKey);
            OrgRow org = (await c.OneAsync<OrgRow>(tx, "SELECT id AS Id, root_public_key AS RootPublicKey FROM organisations", null, ct))!;
            // The organisation's current root: a root rotation (PROTOCOL.md §5.1) replaces this key, never adds a second.
            using (EcdsaP256PublicKey root = EcdsaP256.ImportPublicKey(org.RootPublicKey))
            {
                bool signed = Base64Url.TryDecode(cert.Signature, out byte[]? signature) && signature.Length == EcdsaP256.SignatureSize
                    && SetupValidator.TryRecord(() => new IssuerTbs(org.Id, cert.IssuerId, cert.Role, cert.HolderId, Fingerprint.FromSpki(spki),
                        cert.IssuedAt, cert.ExpiresAt), out IssuerTbs? record)
                    && record!.Verify(root, signature);
                if (!signed)
                {
                    return IssuerResult.Invalid("certificate.signature: must be the organisation root's signature over the issuer record");
                }
            }

            RequestRow? pending = await c.OneAsync<RequestRow>(tx, """
                SELECT issuer_id AS IssuerId, role AS Role, holder_id AS HolderId, public_key AS PublicKey, fingerprint AS Fingerprint,
                       sealed_private_key AS SealedPrivateKey, created_at AS CreatedAt
                FROM issuer_requests WHERE issuer_id = @IssuerId
                """, new { cert.IssuerId }, ct);
            string? sealedKey;
            bool renewal;
            if (pending is not null)
            {
                if (pending.HolderId != cert.HolderId || pending.Role != cert.Role || !pending.PublicKey.AsSpan().SequenceEqual(spki))
                {
                    return IssuerResult.Invalid("certificate: must name the key, holder and role of the pending request");
                }
                sealedKey = pending.SealedPrivateKey;
                renewal = false;
            }
            else
            {
                CurrentRow? current = await c.OneAsync<CurrentRow>(tx, """
                    SELECT role AS Role, holder_id AS HolderId, public_key AS PublicKey, expires_at AS ExpiresAt, sealed_private_key AS SealedPrivateKey
                    FROM certificates WHERE kind = 'issuer' AND subject_id = @IssuerId ORDER BY issued_at DESC, id DESC LIMIT 1
                    """, new { cert.IssuerId }, ct);
                if (current is null)
                {
                    return IssuerResult.Invalid("certificate.issuerId: must name a pending request or an existing issuer");
                }
                if (current.HolderId != cert.HolderId || current.Role != cert.Role || !current.PublicKey.AsSpan().SequenceEqual(spki))
                {
                    return IssuerResult.Invalid("certificate: a renewal must name the issuer's key, holder and role");
                }
                if (cert.ExpiresAt <= current.ExpiresAt)
                {
                    return IssuerResult.Invalid("certificate.expiresAt: a renewal must expire later than the current certificate");
                }
                sealedKey = current.SealedPrivateKey;
                renewal = true;
            }

            await c.ExecAsync(tx, """
                INSERT INTO certificates (id, kind, subject_id, role, holder_id, public_key, sealed_private_key, expires_at, signing_fingerprint, issued_at, signature, created_at)
                VALUES (@id, 'issuer', @IssuerId, @Role, @HolderId, @spki, @sealedKey, @ExpiresAt, @fingerprint, @IssuedAt, @signature, @now)
                """, new
            {
                id = Common.Validation.Ids.New(),
                cert.IssuerId,
                cert.Role,
                cert.HolderId,
                spki,
                sealedKey,
                cert.ExpiresAt,
                fingerprint = Fingerprint.FromSpki(spki).ToArray(),
                cert.IssuedAt,
                signature = Base64Url.Decode(cert.Signature),
                now,
            }, ct);
            if (!renewal)
            {
                await c.ExecAsync(tx, "DELETE FROM issuer_requests WHERE issuer_id = @IssuerId", new { cert.IssuerId }, ct);
            }
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, renewal ? AuditActions.IssuerRenew : AuditActions.IssuerCertify, AuditTargets.Issuer,
                cert.IssuerId, details: AuditEntry.DetailsOf(("holder", cert.HolderId), ("expiresAt", cert.ExpiresAt)))], ct);
            changed.ToEveryone(AccountChangeKinds.IssuerCertificate, cert.IssuerId, cert.IssuedAt);
            return new IssuerResult(IssuerOutcome.Done, Renewal: renewal);
        }, ct);

    /// <summary>Every issuer certificate, oldest first.</summary>
    public async Task<IssuerListResponse> ListAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        List<string> ids = await c.ListAsync<string>(null, "SELECT DISTINCT subject_id FROM certificates WHERE kind = 'issuer'", null, ct);
        return new IssuerListResponse(await CertificateReader.IssuersAsync(c, null, ids, ct));
    }

    /// <summary>Who may ask for an issuer key (administrators) or certify one (Owners), asked before the body is judged.</summary>
    public async Task<bool> MayAsync(string memberId, bool certify, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return certify ? await IsOwnerAsync(c, null, memberId, ct) : await IsAdministratorAsync(c, null, memberId, ct);
    }

    /// <summary>An active, not removed member of the Owners or Administrators group: who holds an issuer key (§5.1).</summary>
    internal static async Task<bool> IsAdministratorAsync(DbConnection c, DbTransaction? tx, string memberId, CancellationToken ct) =>
        await InGroupsAsync(c, tx, memberId, "('owners', 'administrators')", ct);

    private static async Task<bool> IsOwnerAsync(DbConnection c, DbTransaction? tx, string memberId, CancellationToken ct) =>
        await InGroupsAsync(c, tx, memberId, "('owners')", ct);

    private static async Task<bool> InGroupsAsync(DbConnection c, DbTransaction? tx, string memberId, string kinds, CancellationToken ct) =>
        await c.ScalarAsync<long>(tx, $"""
            SELECT count(*) FROM group_memberships gm JOIN groups g ON g.id = gm.group_id JOIN members m ON m.id = gm.member_id
            WHERE gm.member_id = @memberId AND g.kind IN {kinds} AND m.state = 'active' AND m.removed_at IS NULL
            """, new { memberId }, ct) > 0;

    private Task<IssuerResult> InWriteAsync(CofferCaller caller, long now, Func<DbConnection, DbTransaction, ChangeSet, Task<IssuerResult>> work,
        CancellationToken ct) =>
        feed.InTransactionAsync(async (c, tx, changed) =>
        {
            // The (session, seq) pair is used once on whichever node, so a write replayed to another node writes nothing.
            if (await c.ExecAsync(tx, "INSERT INTO session_writes (session_id, seq, created_at) VALUES (@SessionId, @seq, @now) ON CONFLICT DO NOTHING",
                new { caller.SessionId, seq = checked((long)caller.Seq), now }, ct) != 1)
            {
                return new IssuerResult(IssuerOutcome.Replayed);
            }
            if (database.Engine == DatabaseEngine.Postgres)
            {
                await c.ExecAsync(tx, "SELECT pg_advisory_xact_lock(@key)", new { key = IssuerLock }, ct);
            }
            // Every check comes before the first write, so a refusal leaves only the used (session, seq) behind.
            return await work(c, tx, changed);
        }, ct);

    private sealed class KeysetRow
    {
        public string Id { get; set; } = "";
        public long Serial { get; set; }

        public string Kid => $"keyset:{Id}:s{Serial}";
    }

    private sealed class RequestRow
    {
        public string IssuerId { get; set; } = "";
        public string Role { get; set; } = "";
        public string HolderId { get; set; } = "";
        public byte[] PublicKey { get; set; } = [];
        public byte[] Fingerprint { get; set; } = [];
        public string SealedPrivateKey { get; set; } = "";
        public long CreatedAt { get; set; }
    }

    private sealed class CurrentRow
    {
        public string Role { get; set; } = "";
        public string HolderId { get; set; } = "";
        public byte[] PublicKey { get; set; } = [];
        public long ExpiresAt { get; set; }
        public string? SealedPrivateKey { get; set; }
    }

    private sealed class OrgRow
    {
        public string Id { get; set; } = "";
        public byte[] RootPublicKey { get; set; } = [];
    }
}
