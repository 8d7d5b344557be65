using System.Data.Common;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Groups;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;

namespace Coffer.Server.Features.Members;

internal enum ConfirmOutcome
{
    Confirmed,
    NotFound,
    NotPending,
    Invalid,
}

/// <summary>
/// Confirmation (PROTOCOL.md §8, §5.1): the server checks what it can — the certificate against the caller's
/// issuer key, each wrap against the caller's certified signing key — and stores it. Clients check it all again.
/// </summary>
internal sealed class MemberStore(IDatabase database, AuditStore audit, AccountFeed feed)
{
    public async Task<PendingMemberKeysResponse?> PendingKeysAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<PendingRow>(null, PendingSql, new { memberId }, ct) is { } row ? row.ToDto() : null;
    }

    public Task<(ConfirmOutcome Outcome, string? Problem)> ConfirmAsync(CofferCaller caller, string memberId, ConfirmMemberRequest r, long now,
        CancellationToken ct) =>
        feed.InTransactionAsync<(ConfirmOutcome, string?)>(async (c, tx, changed) =>
        {
            PendingRow? member = await c.OneAsync<PendingRow>(tx, PendingSql, new { memberId }, ct);
            if (member is null)
            {
                return (ConfirmOutcome.NotFound, null);
            }
            if (member.State != "pending_confirmation")
            {
                return (ConfirmOutcome.NotPending, null);
            }
            string orgId = (await c.ScalarAsync<string>(tx, "SELECT id FROM organisations", null, ct))!;
            Fingerprint enc = Fingerprint.FromSpki(member.EncryptionPublicKey);
            Fingerprint sig = Fingerprint.FromSpki(member.SigningPublicKey);

            // The certificate: the member's stored keys, the invitation's group, signed by an unexpired issuer the caller holds.
            SubjectCertificateDto cert = r.Certificate;
            EcdsaP256PublicKey? issuerKey = Ids.IsValid(cert.IssuerId)
                ? await CertificateReader.HeldIssuerKeyAsync(c, tx, cert.IssuerId, caller.MemberId, now, ct)
                : null;
            if (issuerKey is null)
            {
                return (ConfirmOutcome.Invalid, "certificate.issuerId: must name a current issuer certificate you hold, not revoked");
            }
            using (issuerKey)
            {
                bool certOk = cert.SubjectId == memberId && cert.Kind == "member" && cert.Role == member.BaseGroup && cert.KeysetId == member.KeysetId
                    && cert.KeysetSerial == member.KeysetSerial && cert.EncryptionPublicKey == Base64Url.Encode(member.EncryptionPublicKey)
                    && cert.SigningPublicKey == Base64Url.Encode(member.SigningPublicKey) && Math.Abs(cert.IssuedAt - now) <= 5 * 60_000
                    && Base64Url.TryDecode(cert.Signature, out byte[]? certSig) && certSig.Length == EcdsaP256.SignatureSize
                    && SetupValidator.TryRecord(() => new MemberCertTbs(orgId, memberId, cert.Role, enc, sig, cert.KeysetId, cert.KeysetSerial,
                        cert.IssuerId, cert.IssuedAt), out MemberCertTbs? record)
                    && record!.Verify(issuerKey, certSig);
                if (!certOk)
                {
                    return (ConfirmOutcome.Invalid, "certificate: must certify the member's stored keys and base group, signed by your issuer key");
                }
            }

            // The wraps: current group keys, to this member's keyset, signed by the caller's certified signing key.
            byte[]? signerSpki = await c.OneAsync<byte[]>(tx, """
                SELECT k.signing_public_key FROM keysets k JOIN certificates ce ON ce.kind = 'member' AND ce.subject_id = k.member_id
                    AND ce.keyset_id = k.id AND ce.keyset_serial = k.serial
                WHERE k.member_id = @signer ORDER BY k.serial DESC LIMIT 1
                """, new { signer = caller.MemberId }, ct);
            if (signerSpki is null || !EcdsaP256.TryImportPublicKey(signerSpki, out EcdsaP256PublicKey? signerKey))
            {
                return (ConfirmOutcome.Invalid, "wraps: you have no certified signing key");
            }
            using (signerKey)
            {
                string baseGroupId = (await c.ScalarAsync<string>(tx, "SELECT id FROM groups WHERE kind = @kind", new { kind = member.BaseGroup }, ct))!;
                HashSet<string> seen = new(StringComparer.Ordinal);
                foreach (SignedWrapDto w in r.Wraps)
                {
                    long? serial = await c.ScalarAsync<long?>(tx, "SELECT max(serial) FROM keysets WHERE group_id = @id", new { id = w.ObjectId }, ct);
                    bool ok = w.ObjectKind == WrapObjectKinds.Group && serial == w.KeySerial && seen.Add(w.ObjectId)
                        && w.RecipientKind == "member" && w.RecipientId == memberId && w.RecipientKeysetSerial == member.KeysetSerial
                        && w.SignerId == caller.MemberId
                        && Base64Url.TryDecode(w.Wrap, out byte[]? wrap) && wrap.Length == 256
                        && Base64Url.TryDecode(w.Signature, out byte[]? wrapSig) && wrapSig.Length == EcdsaP256.SignatureSize
                        && SetupValidator.TryRecord(() => new WrapTbs(w.ObjectKind, w.ObjectId, w.KeySerial, memberId, enc, Sha256Hash.Of(wrap),
                            w.SignerId), out WrapTbs? record)
                        && record!.Verify(signerKey, wrapSig);
                    if (!ok)
                    {
                        return (ConfirmOutcome.Invalid, "wraps: each must wrap a group's current key to this member, once, signed by you");
                    }
                }
                if (!seen.Contains(baseGroupId))
                {
                    return (ConfirmOutcome.Invalid, "wraps: must give the member their base group's key");
                }
            }

            await SetupStore.InsertSubjectCertificateAsync(c, tx, cert, now, ct);
            foreach (SignedWrapDto w in r.Wraps)
            {
                await c.ExecAsync(tx, """
                    INSERT INTO group_memberships (group_id, member_id, key_serial, member_keyset_serial, wrapped_key, signer_id, signature, created_at)
                    VALUES (@group, @member, @serial, @memberSerial, @wrap, @signer, @signature, @now)
                    """, new
                {
                    group = w.ObjectId,
                    member = memberId,
                    serial = w.KeySerial,
                    memberSerial = w.RecipientKeysetSerial,
                    wrap = Base64Url.Decode(w.Wrap),
                    signer = w.SignerId,
                    signature = Base64Url.Decode(w.Signature),
                    now,
                }, ct);
            }
            changed.ToEveryone(AccountChangeKinds.MemberCertificate, memberId, cert.KeysetSerial);
            foreach (SignedWrapDto w in r.Wraps)
            {
                await AccountFeed.JoinedAsync(c, tx, changed, w.ObjectId, memberId, w.KeySerial, ct);
            }
            await c.ExecAsync(tx, "UPDATE members SET state = 'active', updated_at = @now WHERE id = @memberId", new { now, memberId }, ct);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.MemberConfirm, AuditTargets.Member, memberId,
                details: AuditEntry.DetailsOf(("groups", r.Wraps.Count)))], ct);
            return (ConfirmOutcome.Confirmed, null);
        }, ct);

    private const string PendingSql = """
        SELECT m.id AS MemberId, m.email AS Email, m.name AS Name, m.state AS State, i.base_group AS BaseGroup, k.id AS KeysetId,
               k.serial AS KeysetSerial, k.encryption_public_key AS EncryptionPublicKey, k.signing_public_key AS SigningPublicKey
        FROM members m
        JOIN invitations i ON i.member_id = m.id
        JOIN keysets k ON k.member_id = m.id
        WHERE m.id = @memberId AND m.removed_at IS NULL
        ORDER BY k.serial DESC, i.created_at DESC LIMIT 1
        """;

    private sealed class PendingRow
    {
        public string MemberId { get; set; } = "";
        public string Email { get; set; } = "";
        public string Name { get; set; } = "";
        public string State { get; set; } = "";
        public string BaseGroup { get; set; } = "";
        public string KeysetId { get; set; } = "";
        public long KeysetSerial { get; set; }
        public byte[] EncryptionPublicKey { get; set; } = [];
        public byte[] SigningPublicKey { get; set; } = [];

        public PendingMemberKeysResponse ToDto() => new(MemberId, Email, Name, State, BaseGroup, KeysetId, KeysetSerial,
            Base64Url.Encode(EncryptionPublicKey), Base64Url.Encode(SigningPublicKey));
    }
}
