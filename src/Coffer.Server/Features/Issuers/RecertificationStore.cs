using System.Data.Common;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Issuers;
using Coffer.Contracts.Keys;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Groups;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;

namespace Coffer.Server.Features.Issuers;

internal enum RecertifyOutcome
{
    Done,
    NotFound,
    Forbidden,
    Invalid,
    Replayed,
}

/// <summary>A re-certification's result; <see cref="Detail"/> names the problem as <c>field: message</c> (or the refusal).</summary>
internal sealed record RecertifyResult(RecertifyOutcome Outcome, string? Detail = null)
{
    public static readonly RecertifyResult Done = new(RecertifyOutcome.Done);

    public static RecertifyResult Invalid(string problem) => new(RecertifyOutcome.Invalid, problem);

    public static RecertifyResult Forbidden(string detail) => new(RecertifyOutcome.Forbidden, detail);
}

/// <summary>
/// Re-certification of confirmed members and groups, the server's half of retiring an administrator's issuers
/// (docs/adr/0027, docs/adr/0005 rule 4): an Owner's client lists what the departing holder's issuers certified, verifies each
/// certificate and re-certifies the same keys with its own issuer before it revokes the holder's. The server checks what it
/// can — the caller may, the new certificate names exactly the subject's current keyset, keys and base group or kind, it is
/// issued now and after the one it replaces, and it verifies under a current issuer the caller holds — and stores it as a
/// new certificate row (the old one stays, as renewals of issuer certificates do) with its activity-log event.
/// </summary>
internal sealed class RecertificationStore(IDatabase database, AuditStore audit, AccountFeed feed)
{
    private static readonly long ClockSkewMs = (long)TimeSpan.FromMinutes(5).TotalMilliseconds;

    /// <summary>The members and groups whose current certificate was signed by one of the holder's issuers, with those issuers' certificates.</summary>
    public async Task<CertifiedSubjectsResponse> CertifiedByAsync(string holderId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        HashSet<string> issuerIds = [.. await c.ListAsync<string>(null,
            "SELECT DISTINCT subject_id FROM certificates WHERE kind = 'issuer' AND holder_id = @holderId", new { holderId }, ct)];
        List<SubjectCertificateDto> members = [];
        List<CertifiedGroupDto> groups = [];
        if (issuerIds.Count > 0)
        {
            // Candidates: anything any of these issuers ever certified; kept only when its current certificate is theirs.
            List<(string Kind, string SubjectId)> candidates = await c.ListAsync<(string, string)>(null, """
                SELECT DISTINCT c.kind, c.subject_id FROM certificates c
                JOIN certificates i ON i.kind = 'issuer' AND i.subject_id = c.issuer_id
                WHERE c.kind IN ('member', 'group') AND i.holder_id = @holderId
                ORDER BY c.kind, c.subject_id
                """, new { holderId }, ct);
            foreach ((string kind, string subjectId) in candidates)
            {
                if (kind == CertKinds.Member)
                {
                    if (await CertificateReader.MemberAsync(c, null, subjectId, ct) is { } member && issuerIds.Contains(member.IssuerId))
                    {
                        members.Add(member.ToDto());
                    }
                }
                else if (await CertificateReader.GroupAsync(c, null, subjectId, ct) is { } group && issuerIds.Contains(group.IssuerId))
                {
                    groups.Add(new CertifiedGroupDto(group.ToDto(), await CertificateReader.HistoryAsync(c, null, subjectId, ct)));
                }
            }
        }
        List<IssuerCertificateDto> issuers = await CertificateReader.IssuersAsync(c, null, issuerIds, ct);
        return new CertifiedSubjectsResponse(holderId, members, groups, issuers);
    }

    /// <summary>
    /// A new certificate for a member's current keys. Any member with a certificate, removed ones included: the wraps a removed
    /// member signed are verified through their certificate, so it must outlive the issuer that signed it. Only an Owner
    /// re-certifies a member of the Owners or Administrators group (docs/adr/0009: only Owners act on them).
    /// </summary>
    public Task<RecertifyResult> RecertifyMemberAsync(CofferCaller caller, string memberId, SubjectCertificateDto cert, long now, CancellationToken ct) =>
        InWriteAsync(caller, now, async (c, tx, changed) =>
        {
            CertificateReader.SubjectRow? current = await CertificateReader.MemberAsync(c, tx, memberId, ct);
            if (current is null)
            {
                return new RecertifyResult(RecertifyOutcome.NotFound);
            }
            if (await InGroupsAsync(c, tx, memberId, "('owners', 'administrators')", ct) && !await InGroupsAsync(c, tx, caller.MemberId, "('owners')", ct))
            {
                return RecertifyResult.Forbidden("Only Owners re-certify a member of the Owners or Administrators group.");
            }
            string orgId = (await c.ScalarAsync<string>(tx, "SELECT id FROM organisations", null, ct))!;
            string? problem = await CheckAsync(c, tx, caller, current, cert, CertKinds.Member, current.BaseGroup!, now,
                (enc, sig) => new MemberCertTbs(orgId, memberId, cert.Role, enc, sig, cert.KeysetId, cert.KeysetSerial, cert.IssuerId, cert.IssuedAt), ct);
            if (problem is not null)
            {
                return RecertifyResult.Invalid(problem);
            }
            await SetupStore.InsertSubjectCertificateAsync(c, tx, cert, now, ct);
            changed.ToEveryone(AccountChangeKinds.MemberCertificate, memberId, cert.KeysetSerial);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.MemberRecertify, AuditTargets.Member, memberId,
                details: AuditEntry.DetailsOf(("issuerId", cert.IssuerId), ("previousIssuerId", current.IssuerId), ("keysetSerial", cert.KeysetSerial)))], ct);
            return RecertifyResult.Done;
        }, ct);

    /// <summary>
    /// A new certificate for a group's current keyset. The Owners, Administrators, Recovery and Provision Managers groups only by an
    /// Owner, a custom group only by someone holding every permission it grants (docs/adr/0010 decision 2); the base groups by
    /// anyone with <c>manage_groups</c>, since re-certifying changes neither their keys nor who is in them.
    /// </summary>
    public Task<RecertifyResult> RecertifyGroupAsync(CofferCaller caller, string groupId, SubjectCertificateDto cert, long now, CancellationToken ct) =>
        InWriteAsync(caller, now, async (c, tx, changed) =>
        {
            if (database.Engine == DatabaseEngine.Postgres)
            {
                // Ordered with rotations: the keyset checked below is still the current one when the certificate is stored.
                await c.ExecAsync(tx, "SELECT pg_advisory_xact_lock(@key)", new { key = GroupStore.GroupKeyLock }, ct);
            }
            GroupRow? group = await c.OneAsync<GroupRow>(tx, "SELECT kind AS Kind, permissions AS Permissions FROM groups WHERE id = @groupId",
                new { groupId }, ct);
            CertificateReader.SubjectRow? current = group is null ? null : await CertificateReader.GroupAsync(c, tx, groupId, ct);
            if (group is null || current is null)
            {
                return new RecertifyResult(RecertifyOutcome.NotFound);
            }
            if (GroupStore.OwnersOnly.Contains(group.Kind) && !await InGroupsAsync(c, tx, caller.MemberId, "('owners')", ct))
            {
                return RecertifyResult.Forbidden("Only Owners re-certify the Owners, Administrators, Recovery and Provision Managers groups.");
            }
            IReadOnlySet<string> held = await PermissionStore.OfAsync(c, tx, caller.MemberId, ct);
            if (group.Kind == GroupKinds.Custom && !BuiltInPermissions.Of(group.Kind, group.Permissions).All(held.Contains))
            {
                return RecertifyResult.Forbidden("You may re-certify only groups whose permissions you hold yourself.");
            }
            string orgId = (await c.ScalarAsync<string>(tx, "SELECT id FROM organisations", null, ct))!;
            string? problem = await CheckAsync(c, tx, caller, current, cert, CertKinds.Group, group.Kind, now,
                (enc, sig) => new GroupCertTbs(orgId, groupId, cert.Role, enc, sig, cert.KeysetId, cert.KeysetSerial, cert.IssuerId, cert.IssuedAt), ct);
            if (problem is not null)
            {
                return RecertifyResult.Invalid(problem);
            }
            await SetupStore.InsertSubjectCertificateAsync(c, tx, cert, now, ct);
            changed.ToEveryone(AccountChangeKinds.GroupCertificate, groupId, cert.KeysetSerial);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.GroupRecertify, AuditTargets.Group, groupId,
                details: AuditEntry.DetailsOf(("issuerId", cert.IssuerId), ("previousIssuerId", current.IssuerId), ("keysetSerial", cert.KeysetSerial)))], ct);
            return RecertifyResult.Done;
        }, ct);

    /// <summary>
    /// The new certificate names exactly the current keyset (id, serial, both public keys) and role, is issued now and after the
    /// current certificate, is not for a keyset the revocation list names, and verifies under a current issuer the caller holds.
    /// </summary>
    private static async Task<string?> CheckAsync(DbConnection c, DbTransaction tx, CofferCaller caller, CertificateReader.SubjectRow current,
        SubjectCertificateDto cert, string kind, string role, long now, Func<Fingerprint, Fingerprint, TbsRecord> record, CancellationToken ct)
    {
        using EcdsaP256PublicKey? issuerKey = Common.Validation.Ids.IsValid(cert.IssuerId)
            ? await CertificateReader.HeldIssuerKeyAsync(c, tx, cert.IssuerId, caller.MemberId, now, ct)
            : null;
        if (issuerKey is null)
        {
            return "certificate.issuerId: must name a current issuer certificate you hold, not revoked";
        }
        bool sameKeys = cert.SubjectId == current.SubjectId && cert.Kind == kind && cert.Role == role && cert.KeysetId == current.KeysetId
            && cert.KeysetSerial == current.KeysetSerial && cert.EncryptionPublicKey == Base64Url.Encode(current.EncryptionPublicKey)
            && cert.SigningPublicKey == Base64Url.Encode(current.SigningPublicKey);
        if (!sameKeys)
        {
            return "certificate: must name the subject's current keyset, public keys and " + (kind == CertKinds.Member ? "base group" : "group kind");
        }
        if (Math.Abs(cert.IssuedAt - now) > ClockSkewMs || cert.IssuedAt <= current.IssuedAt)
        {
            return "certificate.issuedAt: must be now, and later than the current certificate's";
        }
        if (await CertificateReader.IsRevokedAsync(c, tx, new RevocationEntry(kind, current.SubjectId, current.KeysetSerial), ct))
        {
            return "certificate: the revocation list names this keyset; it is not certified again";
        }
        bool signed = Base64Url.TryDecode(cert.Signature, out byte[]? signature) && signature.Length == EcdsaP256.SignatureSize
            && SetupValidator.TryRecord(() => record(Fingerprint.FromSpki(current.EncryptionPublicKey), Fingerprint.FromSpki(current.SigningPublicKey)),
                out TbsRecord? tbs)
            && tbs!.Verify(issuerKey, signature);
        return signed ? null : "certificate.signature: must be your issuer key's signature over the certificate";
    }

    private static async Task<bool> InGroupsAsync(DbConnection c, DbTransaction tx, string memberId, string kinds, CancellationToken ct) =>
        await c.ScalarAsync<long>(tx, $"""
            SELECT count(*) FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
            WHERE gm.member_id = @memberId AND g.kind IN {kinds}
            """, new { memberId }, ct) > 0;

    private Task<RecertifyResult> InWriteAsync(CofferCaller caller, long now, Func<DbConnection, DbTransaction, ChangeSet, Task<RecertifyResult>> work,
        CancellationToken ct) =>
        feed.InTransactionAsync(async (c, tx, changed) =>
        {
            // The (session, seq) pair is used once on whichever node, so a write replayed to another node writes nothing.
            if (await c.ExecAsync(tx, "INSERT INTO session_writes (session_id, seq, created_at) VALUES (@SessionId, @seq, @now) ON CONFLICT DO NOTHING",
                new { caller.SessionId, seq = checked((long)caller.Seq), now }, ct) != 1)
            {
                return new RecertifyResult(RecertifyOutcome.Replayed);
            }
            return await work(c, tx, changed);
        }, ct);

    private sealed class GroupRow
    {
        public string Kind { get; set; } = "";
        public string Permissions { get; set; } = "";
    }
}
