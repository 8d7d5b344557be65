using System.Data.Common;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;

namespace Coffer.Server.Features.Audit;

internal sealed class AuditKeyCertificateRow
{
    public byte[] KeyFingerprint { get; set; } = [];
    public byte[] PublicKey { get; set; } = [];
    public long IssuedAt { get; set; }
    public byte[] Signature { get; set; } = [];
    public string CertifiedBy { get; set; } = "";
}

internal enum AuditKeyCertifyOutcome
{
    Done,
    Forbidden,
    Invalid,
    NotTheAuditKey,
    NotSignedByRoot,
    NotNewer,
    Replayed,
}

/// <summary>What certifying the audit key came to; <see cref="Detail"/> says why it was refused (never a secret).</summary>
internal sealed record AuditKeyCertifyResult(AuditKeyCertifyOutcome Outcome, string? Detail = null)
{
    public static readonly AuditKeyCertifyResult Done = new(AuditKeyCertifyOutcome.Done);
}

/// <summary>
/// The organisation root's certificates of the server's audit key (<c>audit-key</c> record, docs/adr/0016). The server
/// checks what it can before storing one — an Owner posts it, it names the audit key this server signs with now, the root
/// key stored in <c>organisations</c> signed it, it was signed now and is newer than every certificate held — and clients
/// check it again against their pinned root. One row per key: a re-certification of the same key replaces its row; rows
/// of replaced keys stay, so the checkpoints those keys signed still verify.
/// </summary>
internal sealed class AuditKeyCertificateStore(IDatabase database, AuditStore audit)
{
    /// <summary>How far issuedAt may lie from the server's clock (the same skew as issuer certificates, docs/adr/0015).</summary>
    public static readonly long ClockSkewMs = (long)TimeSpan.FromMinutes(5).TotalMilliseconds;

    /// <summary>PostgreSQL: certifications take this transaction lock, so two never race past the "newer" check.</summary>
    private const long CertifyLock = 0x436F_6666_6572_0016;

    private const string Columns =
        "key_fingerprint AS KeyFingerprint, public_key AS PublicKey, issued_at AS IssuedAt, signature AS Signature, certified_by AS CertifiedBy";

    /// <summary>The certificate of the key with <paramref name="fingerprint"/>, or null.</summary>
    public async Task<AuditKeyCertificateRow?> ForKeyAsync(Fingerprint fingerprint, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<AuditKeyCertificateRow>(null, $"SELECT {Columns} FROM audit_key_certificates WHERE key_fingerprint = @fpr",
            new { fpr = fingerprint.ToArray() }, ct);
    }

    /// <summary>
    /// The certificate of the key with <paramref name="fingerprint"/> if it is the newest one: the key the root certified last.
    /// A key whose certificate a newer one (of another key) superseded is no longer certified and gets null, so an Owner
    /// must certify it again before clients trust it — going back to an old key file takes the root's word, as a new one does.
    /// </summary>
    public async Task<AuditKeyCertificateRow?> CurrentForKeyAsync(Fingerprint fingerprint, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<AuditKeyCertificateRow>(null, $"""
            SELECT {Columns} FROM audit_key_certificates
            WHERE key_fingerprint = @fpr AND issued_at = (SELECT max(issued_at) FROM audit_key_certificates)
            """, new { fpr = fingerprint.ToArray() }, ct);
    }

    /// <summary>Whether the member may certify the audit key (an active Owner: only Owners hold the root), asked before the body is judged.</summary>
    public async Task<bool> MayCertifyAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await IsOwnerAsync(c, null, memberId, ct);
    }

    /// <summary>Every certificate, oldest first.</summary>
    public async Task<List<AuditKeyCertificateRow>> AllAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ListAsync<AuditKeyCertificateRow>(null, $"SELECT {Columns} FROM audit_key_certificates ORDER BY issued_at, key_fingerprint",
            null, ct);
    }

    /// <summary>
    /// Stores a certificate an Owner's client made for <paramref name="currentKey"/>, with its <c>audit.key.certify</c> event,
    /// in one transaction; anything refused writes nothing but the used (session, seq).
    /// </summary>
    public Task<AuditKeyCertifyResult> CertifyAsync(CofferCaller caller, byte[] spki, long issuedAt, byte[] signature, Fingerprint currentKey,
        long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            // The (session, seq) pair is used once on whichever node, so a replayed request writes nothing.
            if (await c.ExecAsync(tx, "INSERT INTO session_writes (session_id, seq, created_at) VALUES (@SessionId, @seq, @now) ON CONFLICT DO NOTHING",
                new { caller.SessionId, seq = checked((long)caller.Seq), now }, ct) != 1)
            {
                return new AuditKeyCertifyResult(AuditKeyCertifyOutcome.Replayed);
            }
            if (database.Engine == DatabaseEngine.Postgres)
            {
                await c.ExecAsync(tx, "SELECT pg_advisory_xact_lock(@key)", new { key = CertifyLock }, ct);
            }
            if (!await IsOwnerAsync(c, tx, caller.MemberId, ct))
            {
                return new AuditKeyCertifyResult(AuditKeyCertifyOutcome.Forbidden, "Only Owners certify the audit key: it takes the organisation's root key.");
            }
            Fingerprint fingerprint = Fingerprint.FromSpki(spki);
            if (fingerprint != currentKey)
            {
                return new AuditKeyCertifyResult(AuditKeyCertifyOutcome.NotTheAuditKey,
                    $"The certificate names key {fingerprint}; this server signs checkpoints with {currentKey}.");
            }
            if (Math.Abs(issuedAt - now) > ClockSkewMs)
            {
                return new AuditKeyCertifyResult(AuditKeyCertifyOutcome.Invalid, "issuedAt: must be now");
            }
            OrgRow org = (await c.OneAsync<OrgRow>(tx, "SELECT id AS Id, root_public_key AS RootPublicKey FROM organisations", null, ct))!;
            if (!SignedByRoot(org, fingerprint, issuedAt, signature))
            {
                return new AuditKeyCertifyResult(AuditKeyCertifyOutcome.NotSignedByRoot,
                    "The signature is not the organisation root's over the audit-key record (orgId, auditFpr, issuedAt).");
            }
            long? newest = await c.ScalarAsync<long?>(tx, "SELECT max(issued_at) FROM audit_key_certificates", null, ct);
            if (newest is { } held && issuedAt <= held)
            {
                return new AuditKeyCertifyResult(AuditKeyCertifyOutcome.NotNewer,
                    "A certificate issued at the same time or later is already stored; sign a new one.");
            }
            await InsertAsync(c, tx, fingerprint, spki, issuedAt, signature, caller.MemberId, now, ct);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.AuditKeyCertify, AuditTargets.AuditKey,
                details: Details(fingerprint, issuedAt))], ct);
            return AuditKeyCertifyResult.Done;
        }, ct);

    /// <summary>Stores the certificate the first Owner's client made at setup (checked by <see cref="SetupValidator"/>), in setup's transaction.</summary>
    public static Task InsertAsync(DbConnection c, DbTransaction tx, Fingerprint fingerprint, byte[] spki, long issuedAt, byte[] signature,
        string certifiedBy, long now, CancellationToken ct) =>
        c.ExecAsync(tx, """
            INSERT INTO audit_key_certificates (key_fingerprint, public_key, issued_at, signature, certified_by, created_at)
            VALUES (@fpr, @spki, @issuedAt, @signature, @certifiedBy, @now)
            ON CONFLICT (key_fingerprint) DO UPDATE SET public_key = excluded.public_key, issued_at = excluded.issued_at,
                signature = excluded.signature, certified_by = excluded.certified_by, created_at = excluded.created_at
            """, new { fpr = fingerprint.ToArray(), spki, issuedAt, signature, certifiedBy, now }, ct);

    /// <summary>The details of an <c>audit.key.certify</c> event: which key (its fingerprint is not an id, ADR 0004 §2) and when signed.</summary>
    public static string Details(Fingerprint fingerprint, long issuedAt) =>
        AuditEntry.DetailsOf(("fingerprint", fingerprint.ToString()), ("issuedAt", issuedAt));

    /// <summary>True when <paramref name="signature"/> is the root's over the audit-key record of this organisation and key.</summary>
    public static bool SignedByRoot(string orgId, byte[] rootPublicKey, Fingerprint fingerprint, long issuedAt, byte[] signature)
    {
        if (!EcdsaP256.TryImportPublicKey(rootPublicKey, out EcdsaP256PublicKey? root))
        {
            return false;
        }
        using (root)
        {
            return signature.Length == EcdsaP256.SignatureSize
                && SetupValidator.TryRecord(() => new AuditKeyTbs(orgId, fingerprint, issuedAt), out AuditKeyTbs? record)
                && record!.Verify(root, signature);
        }
    }

    private static bool SignedByRoot(OrgRow org, Fingerprint fingerprint, long issuedAt, byte[] signature) =>
        SignedByRoot(org.Id, org.RootPublicKey, fingerprint, issuedAt, signature);

    private static async Task<bool> IsOwnerAsync(DbConnection c, DbTransaction? tx, string memberId, CancellationToken ct) =>
        await c.ScalarAsync<long>(tx, """
            SELECT count(*) FROM group_memberships gm JOIN groups g ON g.id = gm.group_id JOIN members m ON m.id = gm.member_id
            WHERE gm.member_id = @memberId AND g.kind = 'owners' AND m.state = 'active' AND m.removed_at IS NULL
            """, new { memberId }, ct) > 0;

    private sealed class OrgRow
    {
        public string Id { get; set; } = "";
        public byte[] RootPublicKey { get; set; } = [];
    }
}
