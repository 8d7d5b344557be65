using System.Data.Common;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Common;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Keys;
using Coffer.Protocol.Encoding;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Groups;

namespace Coffer.Server.Features.Account;

/// <summary>
/// What a signed-in member's client needs to unlock and to verify what it unlocks. Everything here
/// is ciphertext, public keys or signatures; the member sees only their own keyset and the groups
/// they belong to or manage.
/// </summary>
internal sealed class AccountStore(IDatabase database)
{
    public async Task<AccountKeysResponse?> KeysForAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        MemberSummaryDto? member = await c.OneAsync<MemberSummaryDto>(null,
            "SELECT id AS MemberId, email AS Email, name AS Name, state AS State FROM members WHERE id = @memberId", new { memberId }, ct);
        if (member is null)
        {
            return null;
        }
        KeysetRow keyset = (await c.OneAsync<KeysetRow>(null, KeysetColumns + " WHERE member_id = @memberId ORDER BY serial DESC LIMIT 1", new { memberId }, ct))!;
        CertRow? certificate = await c.OneAsync<CertRow>(null, CertColumns +
            " WHERE kind = 'member' AND subject_id = @memberId AND keyset_id = @Id AND keyset_serial = @Serial ORDER BY issued_at DESC LIMIT 1",
            new { memberId, keyset.Id, keyset.Serial }, ct);
        if (certificate is null)
        {
            // Pending confirmation: nothing is certified yet, so there is nothing a client could verify and unlock.
            return null;
        }
        OrgRow org = (await c.OneAsync<OrgRow>(null,
            "SELECT id AS Id, account_id AS AccountId, root_public_key AS PublicKey, created_at AS CreatedAt, root_signature AS Signature, sealed_root_private_key AS SealedRoot FROM organisations",
            null, ct))!;
        List<IssuerRow> issuers = await c.ListAsync<IssuerRow>(null, """
            SELECT subject_id AS IssuerId, role AS Role, holder_id AS HolderId, public_key AS PublicKey, issued_at AS IssuedAt, expires_at AS ExpiresAt,
                   signature AS Signature, sealed_private_key AS SealedPrivateKey
            FROM certificates WHERE kind = 'issuer' ORDER BY issued_at
            """, null, ct);
        CrlRow crl = (await c.OneAsync<CrlRow>(null,
            "SELECT version AS Version, issued_at AS IssuedAt, entries AS Entries, issuer_id AS IssuerId, signature AS Signature FROM revocation_lists ORDER BY version DESC LIMIT 1",
            null, ct))!;

        // The groups the member belongs to, then every group those groups manage, transitively.
        List<WrapRow> wraps = await c.ListAsync<WrapRow>(null, """
            SELECT group_id AS GroupId, key_serial AS KeySerial, 'member' AS RecipientKind, member_id AS RecipientId,
                   member_keyset_serial AS RecipientKeysetSerial, wrapped_key AS Wrap, signer_id AS SignerId, signature AS Signature
            FROM group_memberships WHERE member_id = @memberId
            """, new { memberId }, ct);
        List<WrapRow> managerWraps = await c.ListAsync<WrapRow>(null, """
            SELECT group_id AS GroupId, key_serial AS KeySerial, 'group' AS RecipientKind, manager_group_id AS RecipientId,
                   manager_key_serial AS RecipientKeysetSerial, wrapped_key AS Wrap, signer_id AS SignerId, signature AS Signature
            FROM group_manager_wraps
            """, null, ct);
        HashSet<string> held = [.. wraps.Select(w => w.GroupId)];
        bool grew = true;
        while (grew)
        {
            List<WrapRow> reachable = [.. managerWraps.Where(w => held.Contains(w.RecipientId) && !wraps.Contains(w))];
            wraps.AddRange(reachable);
            grew = reachable.Count > 0;
            foreach (WrapRow w in reachable)
            {
                held.Add(w.GroupId);
            }
        }

        List<GroupKeysDto> groups = [];
        foreach (string groupId in held.Order(StringComparer.Ordinal))
        {
            GroupRow g = (await c.OneAsync<GroupRow>(null, "SELECT id AS Id, kind AS Kind, name AS Name FROM groups WHERE id = @groupId", new { groupId }, ct))!;
            KeysetRow gk = (await c.OneAsync<KeysetRow>(null, KeysetColumns + " WHERE group_id = @groupId ORDER BY serial DESC LIMIT 1", new { groupId }, ct))!;
            CertRow gc = (await c.OneAsync<CertRow>(null, CertColumns +
                " WHERE kind = 'group' AND subject_id = @groupId AND keyset_id = @Id AND keyset_serial = @Serial ORDER BY issued_at DESC LIMIT 1",
                new { groupId, gk.Id, gk.Serial }, ct))!;
            groups.Add(new GroupKeysDto(g.Id, g.Kind, g.Name, gk.ToDto(), gc.ToDto("group", gk)));
        }

        List<SubjectCertificateDto> signers = [];
        foreach (string signerId in wraps.Select(w => w.SignerId).Distinct(StringComparer.Ordinal))
        {
            KeysetRow? sk = await c.OneAsync<KeysetRow>(null, KeysetColumns + " WHERE member_id = @signerId ORDER BY serial DESC LIMIT 1", new { signerId }, ct);
            CertRow? sc = sk is null ? null : await c.OneAsync<CertRow>(null, CertColumns +
                " WHERE kind = 'member' AND subject_id = @signerId AND keyset_id = @Id AND keyset_serial = @Serial ORDER BY issued_at DESC LIMIT 1",
                new { signerId, sk.Id, sk.Serial }, ct);
            if (sc is not null)
            {
                signers.Add(sc.ToDto("member", sk!));
            }
        }

        // The certificate history of every rotated group, so a client that pinned an older serial can follow (docs/adr/0010).
        List<GroupSuccessionDto> successions = [];
        foreach (GroupKeysDto g in groups.Where(g => g.Keyset.Serial > 1))
        {
            successions.AddRange(await CertificateReader.HistoryAsync(c, null, g.GroupId, ct));
        }

        bool ownsRoot = groups.Any(g => g.Kind == "owners");
        string? sealedIssuer = issuers.Where(i => i.HolderId == memberId && i.SealedPrivateKey is not null).Select(i => i.SealedPrivateKey).LastOrDefault();
        return new AccountKeysResponse(
            member,
            keyset.ToDto(),
            certificate.ToDto("member", keyset),
            new OrganisationRootDto(org.Id, org.AccountId, Base64Url.Encode(org.PublicKey), org.CreatedAt, Base64Url.Encode(org.Signature)),
            [.. issuers.Select(i => new IssuerCertificateDto(i.IssuerId, i.Role, i.HolderId, Base64Url.Encode(i.PublicKey), i.IssuedAt, i.ExpiresAt,
                Base64Url.Encode(i.Signature)))],
            new RevocationListDto(crl.Version, crl.IssuedAt, JsonSerializer.Deserialize(crl.Entries, ServerJson.Default.StringArray) ?? [], crl.IssuerId,
                Base64Url.Encode(crl.Signature)),
            groups,
            [.. wraps.Select(w => new SignedWrapDto("group", w.GroupId, w.KeySerial, w.RecipientId, w.RecipientKind, w.RecipientKeysetSerial,
                Base64Url.Encode(w.Wrap), w.SignerId, Base64Url.Encode(w.Signature)))],
            signers,
            sealedIssuer is null ? null : Envelope(sealedIssuer),
            ownsRoot ? Envelope(org.SealedRoot) : null,
            successions);
    }

    internal static EnvelopeDto Envelope(string json) => JsonSerializer.Deserialize(json, CofferJsonContext.Default.EnvelopeDto)!;

    private const string KeysetColumns = """
        SELECT id AS Id, serial AS Serial, encryption_public_key AS EncryptionPublicKey, signing_public_key AS SigningPublicKey,
               sealed_symmetric_key AS SealedSymmetricKey, sealed_encryption_private_key AS SealedEncryptionPrivateKey,
               sealed_signing_private_key AS SealedSigningPrivateKey
        FROM keysets
        """;

    private const string CertColumns = """
        SELECT subject_id AS SubjectId, base_group AS BaseGroup, group_kind AS GroupKind, issuer_id AS IssuerId, issued_at AS IssuedAt, signature AS Signature
        FROM certificates
        """;

    private sealed class KeysetRow
    {
        public string Id { get; set; } = "";
        public long Serial { get; set; }
        public byte[] EncryptionPublicKey { get; set; } = [];
        public byte[] SigningPublicKey { get; set; } = [];
        public string? SealedSymmetricKey { get; set; }
        public string SealedEncryptionPrivateKey { get; set; } = "";
        public string SealedSigningPrivateKey { get; set; } = "";

        public KeysetDto ToDto() => new(Id, (int)Serial, Base64Url.Encode(EncryptionPublicKey), Base64Url.Encode(SigningPublicKey),
            SealedSymmetricKey is null ? null : Envelope(SealedSymmetricKey), Envelope(SealedEncryptionPrivateKey), Envelope(SealedSigningPrivateKey));
    }

    private sealed class CertRow
    {
        public string SubjectId { get; set; } = "";
        public string? BaseGroup { get; set; }
        public string? GroupKind { get; set; }
        public string IssuerId { get; set; } = "";
        public long IssuedAt { get; set; }
        public byte[] Signature { get; set; } = [];

        public SubjectCertificateDto ToDto(string kind, KeysetRow k) => new(SubjectId, kind, (kind == "member" ? BaseGroup : GroupKind)!, k.Id, k.Serial,
            Base64Url.Encode(k.EncryptionPublicKey), Base64Url.Encode(k.SigningPublicKey), IssuerId, IssuedAt, Base64Url.Encode(Signature));
    }

    private sealed class OrgRow
    {
        public string Id { get; set; } = "";
        public string AccountId { get; set; } = "";
        public byte[] PublicKey { get; set; } = [];
        public long CreatedAt { get; set; }
        public byte[] Signature { get; set; } = [];
        public string SealedRoot { get; set; } = "";
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
        public string? SealedPrivateKey { get; set; }
    }

    private sealed class CrlRow
    {
        public long Version { get; set; }
        public long IssuedAt { get; set; }
        public string Entries { get; set; } = "[]";
        public string? IssuerId { get; set; }
        public byte[] Signature { get; set; } = [];
    }

    private sealed class GroupRow
    {
        public string Id { get; set; } = "";
        public string Kind { get; set; } = "";
        public string Name { get; set; } = "";
    }

    private sealed record WrapRow(string GroupId, long KeySerial, string RecipientKind, string RecipientId, long RecipientKeysetSerial, byte[] Wrap,
        string SignerId, byte[] Signature);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]), TypeInfoPropertyName = "StringArray")]
internal sealed partial class ServerJson : System.Text.Json.Serialization.JsonSerializerContext;
