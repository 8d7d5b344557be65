using System.Text.Json;
using Coffer.Protocol.Audit;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;

namespace Coffer.Protocol.Tests.Signatures;

/// <summary>
/// Reads the <c>fields</c> objects of testdata/vectors/signatures.json and audit-chain.json into the
/// C# records (PROTOCOL.md §5.2 vector format): ids, integers, times and kinds as strings, fingerprints
/// and hashes as base64url, revocation entries as an array, absent audit values as null. Every field
/// must be present and no other may be.
/// </summary>
internal sealed class VectorFields
{
    private readonly JsonElement _fields;
    private readonly HashSet<string> _read = [];

    private VectorFields(JsonElement fields) => _fields = fields;

    public static TbsRecord ToRecord(string type, JsonElement fields)
    {
        VectorFields f = new(fields);
        TbsRecord record = type switch
        {
            OrgRootTbs.TypeName => new OrgRootTbs(f.Str("orgId"), f.Str("accountId"), f.Fpr("rootFpr"), f.Num("createdAt")),
            RootRotationTbs.TypeName => new RootRotationTbs(f.Str("orgId"), f.Fpr("oldRootFpr"), f.Fpr("newRootFpr"), f.Num("issuedAt")),
            IssuerTbs.TypeName => new IssuerTbs(
                f.Str("orgId"), f.Str("issuerId"), f.Str("role"), f.Str("holderId"), f.Fpr("issuerFpr"), f.Num("issuedAt"), f.Num("expiresAt")),
            MemberCertTbs.TypeName => new MemberCertTbs(
                f.Str("orgId"), f.Str("memberId"), f.Str("baseGroup"), f.Fpr("encFpr"), f.Fpr("sigFpr"), f.Str("keysetId"),
                f.Num("keysetSerial"), f.Str("issuerId"), f.Num("issuedAt")),
            GroupCertTbs.TypeName => new GroupCertTbs(
                f.Str("orgId"), f.Str("groupId"), f.Str("groupKind"), f.Fpr("encFpr"), f.Fpr("sigFpr"), f.Str("keysetId"),
                f.Num("keysetSerial"), f.Str("issuerId"), f.Num("issuedAt")),
            WrapTbs.TypeName => new WrapTbs(
                f.Str("objectKind"), f.Str("objectId"), f.Num("keySerial"), f.Str("recipientId"), f.Fpr("recipientEncFpr"),
                f.Hash("wrapHash"), f.Str("signerId")),
            RevocationTbs.TypeName => new RevocationTbs(
                f.Str("orgId"), f.Num("listVersion"), f.Num("issuedAt"), f.List("entries").Select(RevocationEntry.Parse)),
            PolicyTbs.TypeName => new PolicyTbs(
                f.Str("orgId"), f.Str("policyKind"), f.Num("policyVersion"), f.Hash("bodyHash"), f.Num("issuedAt")),
            RecoveryRequestTbs.TypeName => new RecoveryRequestTbs(
                f.Str("orgId"), f.Str("requestId"), f.Str("memberId"), f.Str("initiatorId"), f.Num("expiresAt")),
            RecoveryApprovalTbs.TypeName => new RecoveryApprovalTbs(
                f.Str("orgId"), f.Str("requestId"), f.Str("memberId"), f.Fpr("newEncFpr"), f.Fpr("newSigFpr"), f.Str("approverId"),
                f.Num("approvedAt")),
            CheckpointTbs.TypeName => new CheckpointTbs(f.Str("orgId"), f.Num("seq"), f.Hash("chainHash"), f.Num("time")),
            CountersignTbs.TypeName => new CountersignTbs(f.Str("orgId"), f.Num("seq"), f.Hash("chainHash"), f.Str("signerId"), f.Num("time")),
            AuditKeyTbs.TypeName => new AuditKeyTbs(f.Str("orgId"), f.Fpr("auditFpr"), f.Num("issuedAt")),
            _ => throw new InvalidDataException("Unknown signature type " + type),
        };
        f.EnsureAllRead();
        return record;
    }

    public static AuditEventTbs ToAuditEvent(JsonElement fields)
    {
        VectorFields f = new(fields);
        AuditEventTbs auditEvent = new(
            f.Num("time"), f.OptStr("actorMemberId"), f.OptStr("deviceId"), f.OptStr("sessionId"), f.OptStr("ip"), f.Str("action"),
            f.OptStr("targetKind"), f.OptStr("targetId"), f.Str("outcome"), f.OptHash("detailsHash"));
        f.EnsureAllRead();
        return auditEvent;
    }

    private JsonElement Get(string name)
    {
        _read.Add(name);
        return _fields.TryGetProperty(name, out JsonElement value) ? value : throw new InvalidDataException("Missing field " + name);
    }

    private string Str(string name) => Get(name).GetString() ?? throw new InvalidDataException("Null field " + name);

    private string? OptStr(string name) => Get(name).GetString();

    private long Num(string name) => TbsFields.ParseNumber(Str(name));

    private Fingerprint Fpr(string name) => Fingerprint.FromBytes(Base64Url.Decode(Str(name)));

    private Sha256Hash Hash(string name) => Sha256Hash.FromBytes(Base64Url.Decode(Str(name)));

    private Sha256Hash? OptHash(string name) => OptStr(name) is { } text ? Sha256Hash.FromBytes(Base64Url.Decode(text)) : null;

    private string[] List(string name) => [.. Get(name).EnumerateArray().Select(e => e.GetString() ?? throw new InvalidDataException("Null entry"))];

    private void EnsureAllRead()
    {
        foreach (JsonProperty property in _fields.EnumerateObject())
        {
            if (!_read.Contains(property.Name))
            {
                throw new InvalidDataException("Unexpected field " + property.Name);
            }
        }
    }
}
