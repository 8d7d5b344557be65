using System.Data.Common;
using System.Text.Json;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Keys;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;

namespace Coffer.Server.Features.Groups;

/// <summary>
/// Reads certificates as clients verify them (PROTOCOL.md §5.1): a member's or group's current certificate with the
/// public keys of the keyset it names, issuer certificates, a group's certificate history, and the keys the server
/// itself checks signatures with (the caller's certified signing key, an issuer key the caller holds).
/// </summary>
internal static class CertificateReader
{
    private const string SubjectColumns = """
        SELECT c.subject_id AS SubjectId, c.kind AS Kind, c.base_group AS BaseGroup, c.group_kind AS GroupKind, c.issuer_id AS IssuerId,
               c.issued_at AS IssuedAt, c.signature AS Signature, c.succession_signature AS SuccessionSignature, k.id AS KeysetId,
               k.serial AS KeysetSerial, k.encryption_public_key AS EncryptionPublicKey, k.signing_public_key AS SigningPublicKey
        FROM certificates c JOIN keysets k ON k.id = c.keyset_id AND k.serial = c.keyset_serial
        """;

    /// <summary>The certificate of a member's newest certified keyset, or null (invited, pending, unknown).</summary>
    public static Task<SubjectRow?> MemberAsync(DbConnection c, DbTransaction? tx, string memberId, CancellationToken ct) =>
        c.OneAsync<SubjectRow>(tx, SubjectColumns + """
             WHERE c.kind = 'member' AND c.subject_id = @memberId AND k.member_id = @memberId
             ORDER BY k.serial DESC, c.issued_at DESC LIMIT 1
            """, new { memberId }, ct);

    /// <summary>The certificate of a group's current keyset (the highest serial), or null for an unknown group.</summary>
    public static Task<SubjectRow?> GroupAsync(DbConnection c, DbTransaction? tx, string groupId, CancellationToken ct) =>
        c.OneAsync<SubjectRow>(tx, SubjectColumns + """
             WHERE c.kind = 'group' AND c.subject_id = @groupId AND k.group_id = @groupId
               AND k.serial = (SELECT max(serial) FROM keysets WHERE group_id = @groupId)
             ORDER BY c.issued_at DESC LIMIT 1
            """, new { groupId }, ct);

    /// <summary>
    /// A group's certificate history, one per serial, oldest first: the certificate made at each rotation (the one
    /// carrying the succession signature), or for serial 1 the newest.
    /// </summary>
    public static async Task<List<GroupSuccessionDto>> HistoryAsync(DbConnection c, DbTransaction? tx, string groupId, CancellationToken ct)
    {
        List<SubjectRow> rows = await c.ListAsync<SubjectRow>(tx, SubjectColumns + """
             WHERE c.kind = 'group' AND c.subject_id = @groupId AND k.group_id = @groupId
             ORDER BY k.serial, c.issued_at
            """, new { groupId }, ct);
        return [.. rows.GroupBy(r => r.KeysetSerial)
            .Select(g => g.LastOrDefault(r => r.SuccessionSignature is not null) ?? g.Last())
            .Select(r => new GroupSuccessionDto(r.ToDto(), r.SuccessionSignature is null ? null : Base64Url.Encode(r.SuccessionSignature)))];
    }

    /// <summary>Every certificate of the issuers named, oldest first (a renewed issuer has several).</summary>
    public static async Task<List<IssuerCertificateDto>> IssuersAsync(DbConnection c, DbTransaction? tx, IEnumerable<string> issuerIds, CancellationToken ct)
    {
        HashSet<string> wanted = new(issuerIds, StringComparer.Ordinal);
        List<IssuerRow> rows = await c.ListAsync<IssuerRow>(tx, """
            SELECT subject_id AS IssuerId, role AS Role, holder_id AS HolderId, public_key AS PublicKey, issued_at AS IssuedAt,
                   expires_at AS ExpiresAt, signature AS Signature
            FROM certificates WHERE kind = 'issuer' ORDER BY issued_at, id
            """, null, ct);
        return [.. rows.Where(r => wanted.Contains(r.IssuerId)).Select(r => new IssuerCertificateDto(r.IssuerId, r.Role, r.HolderId,
            Base64Url.Encode(r.PublicKey), r.IssuedAt, r.ExpiresAt, Base64Url.Encode(r.Signature)))];
    }

    /// <summary>The signing key of the caller's newest certified keyset: every wrap the caller signs must verify under it.</summary>
    public static async Task<EcdsaP256PublicKey?> CertifiedSigningKeyAsync(DbConnection c, DbTransaction? tx, string memberId, CancellationToken ct) =>
        await MemberAsync(c, tx, memberId, ct) is { } row && EcdsaP256.TryImportPublicKey(row.SigningPublicKey, out EcdsaP256PublicKey? key) ? key : null;

    private const long IssuerClockSkewMs = 5 * 60_000;

    /// <summary>
    /// The public key of an issuer certificate held by <paramref name="holderId"/>, valid at <paramref name="now"/> and not
    /// revoked by the newest revocation list: so the server takes no new certificate or list from a removed administrator's
    /// issuer once its revocation is published (docs/adr/0015). "Valid at now" allows the same 5 minutes of clock skew as the
    /// certificates themselves: the issuer's certificate carries its client's time, which may run a little ahead of the server's,
    /// and an issuer made a second "in the future" must not refuse the confirmation that follows it.
    /// </summary>
    public static async Task<EcdsaP256PublicKey?> HeldIssuerKeyAsync(DbConnection c, DbTransaction? tx, string issuerId, string holderId, long now,
        CancellationToken ct)
    {
        if (await IsIssuerRevokedAsync(c, tx, issuerId, ct))
        {
            return null;
        }
        byte[]? spki = await c.OneAsync<byte[]>(tx, """
            SELECT public_key FROM certificates
            WHERE kind = 'issuer' AND subject_id = @issuerId AND holder_id = @holderId AND expires_at > @now AND issued_at <= @latestIssue
            ORDER BY issued_at DESC LIMIT 1
            """, new { issuerId, holderId, now, latestIssue = now + IssuerClockSkewMs }, ct);
        return spki is not null && EcdsaP256.TryImportPublicKey(spki, out EcdsaP256PublicKey? key) ? key : null;
    }

    /// <summary>Whether the newest revocation list names the issuer (<c>issuer:&lt;id&gt;:0</c>, docs/adr/0004 decision 5).</summary>
    public static Task<bool> IsIssuerRevokedAsync(DbConnection c, DbTransaction? tx, string issuerId, CancellationToken ct) =>
        IsRevokedAsync(c, tx, new RevocationEntry(CertKinds.Issuer, issuerId, 0), ct);

    /// <summary>Whether the newest revocation list names <paramref name="entry"/>.</summary>
    public static async Task<bool> IsRevokedAsync(DbConnection c, DbTransaction? tx, RevocationEntry entry, CancellationToken ct)
    {
        string? entries = await c.ScalarAsync<string>(tx, "SELECT entries FROM revocation_lists ORDER BY version DESC LIMIT 1", null, ct);
        string revoked = entry.ToFieldText();
        return entries is not null
            && (JsonSerializer.Deserialize(entries, Account.ServerJson.Default.StringArray) ?? []).Contains(revoked, StringComparer.Ordinal);
    }

    /// <summary>
    /// Checks a signed wrap against the record the server expects: every field equal to what it names, the wrap
    /// 256 bytes, and the signature valid under <paramref name="signerKey"/> over a record built from the server's own
    /// knowledge of the recipient's certified encryption key.
    /// </summary>
    public static bool WrapVerifies(SignedWrapDto w, string objectKind, string objectId, long keySerial, string recipientKind, string recipientId,
        long recipientKeysetSerial, byte[] recipientEncryptionSpki, string signerId, EcdsaP256PublicKey signerKey) =>
        w.ObjectKind == objectKind && w.ObjectId == objectId && w.KeySerial == keySerial && w.RecipientKind == recipientKind
        && w.RecipientId == recipientId && w.RecipientKeysetSerial == recipientKeysetSerial && w.SignerId == signerId
        && Base64Url.TryDecode(w.Wrap, out byte[]? wrap) && wrap.Length == 256
        && Base64Url.TryDecode(w.Signature, out byte[]? signature) && signature.Length == EcdsaP256.SignatureSize
        && Setup.SetupValidator.TryRecord(() => new WrapTbs(objectKind, objectId, keySerial, recipientId, Fingerprint.FromSpki(recipientEncryptionSpki),
            Sha256Hash.Of(wrap), signerId), out WrapTbs? record)
        && record!.Verify(signerKey, signature);

    /// <summary>A member or group certificate joined with the keyset it names.</summary>
    internal sealed class SubjectRow
    {
        public string SubjectId { get; set; } = "";
        public string Kind { get; set; } = "";
        public string? BaseGroup { get; set; }
        public string? GroupKind { get; set; }
        public string IssuerId { get; set; } = "";
        public long IssuedAt { get; set; }
        public byte[] Signature { get; set; } = [];
        public byte[]? SuccessionSignature { get; set; }
        public string KeysetId { get; set; } = "";
        public long KeysetSerial { get; set; }
        public byte[] EncryptionPublicKey { get; set; } = [];
        public byte[] SigningPublicKey { get; set; } = [];

        public SubjectCertificateDto ToDto() => new(SubjectId, Kind, (Kind == "member" ? BaseGroup : GroupKind)!, KeysetId, KeysetSerial,
            Base64Url.Encode(EncryptionPublicKey), Base64Url.Encode(SigningPublicKey), IssuerId, IssuedAt, Base64Url.Encode(Signature));
    }

    private sealed class IssuerRow
    {
        public string IssuerId { get; set; } = "";
        public string Role { get; set; } = "";
        public string HolderId { get; set; } = "";
        public byte[] PublicKey { get; set; } = [];
        public long IssuedAt { get; set; }
        public long ExpiresAt { get; set; }
        public byte[] Signature { get; set; } = [];
    }
}
