namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>member-cert</c> (PROTOCOL.md §5.2): a member certificate, signed by an issuer: binds a member to their keyset's public keys (§5.1). It has no expiry (docs/adr/0004).
/// Fields, in TBS order: orgId, memberId, baseGroup, encFpr, sigFpr, keysetId, keysetSerial, issuerId, issuedAt.
/// </summary>
public sealed record MemberCertTbs : TbsRecord
{
    /// <summary>The type name, <c>member-cert</c>.</summary>
    public const string TypeName = "member-cert";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="memberId">The member id.</param>
    /// <param name="baseGroup"><see cref="BaseGroups"/>: <c>team_members</c> or <c>guests</c>.</param>
    /// <param name="encFpr">The fingerprint of the keyset's RSA-OAEP public key.</param>
    /// <param name="sigFpr">The fingerprint of the keyset's ECDSA P-256 public key.</param>
    /// <param name="keysetId">The keyset id.</param>
    /// <param name="keysetSerial">The keyset serial.</param>
    /// <param name="issuerId">The id of the issuer that signs.</param>
    /// <param name="issuedAt">When the certificate was signed (Unix ms).</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public MemberCertTbs(string orgId, string memberId, string baseGroup, Fingerprint encFpr, Fingerprint sigFpr, string keysetId, long keysetSerial, string issuerId, long issuedAt)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        MemberId = TbsFields.Id(memberId, nameof(memberId));
        BaseGroup = TbsFields.OneOf(baseGroup, nameof(baseGroup), BaseGroups.TeamMembers, BaseGroups.Guests);
        EncFpr = TbsFields.Fpr(encFpr, nameof(encFpr));
        SigFpr = TbsFields.Fpr(sigFpr, nameof(sigFpr));
        KeysetId = TbsFields.Id(keysetId, nameof(keysetId));
        KeysetSerial = TbsFields.Number(keysetSerial, nameof(keysetSerial));
        IssuerId = TbsFields.Id(issuerId, nameof(issuerId));
        IssuedAt = TbsFields.Number(issuedAt, nameof(issuedAt));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The member id.</summary>
    public string MemberId { get; }

    /// <summary><see cref="BaseGroups"/>: <c>team_members</c> or <c>guests</c>.</summary>
    public string BaseGroup { get; }

    /// <summary>The fingerprint of the keyset's RSA-OAEP public key.</summary>
    public Fingerprint EncFpr { get; }

    /// <summary>The fingerprint of the keyset's ECDSA P-256 public key.</summary>
    public Fingerprint SigFpr { get; }

    /// <summary>The keyset id.</summary>
    public string KeysetId { get; }

    /// <summary>The keyset serial.</summary>
    public long KeysetSerial { get; }

    /// <summary>The id of the issuer that signs.</summary>
    public string IssuerId { get; }

    /// <summary>When the certificate was signed (Unix ms).</summary>
    public long IssuedAt { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Text(MemberId)
        .Text(BaseGroup)
        .Bytes(EncFpr.AsSpan())
        .Bytes(SigFpr.AsSpan())
        .Text(KeysetId)
        .Number(KeysetSerial)
        .Text(IssuerId)
        .Number(IssuedAt);
}
