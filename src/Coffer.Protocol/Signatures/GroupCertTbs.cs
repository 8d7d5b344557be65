namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>group-cert</c> (PROTOCOL.md §5.2): a group certificate, signed by an issuer: binds a group to its keyset's public keys (§5.1).
/// Fields, in TBS order: orgId, groupId, groupKind, encFpr, sigFpr, keysetId, keysetSerial, issuerId, issuedAt.
/// </summary>
public sealed record GroupCertTbs : TbsRecord
{
    /// <summary>The type name, <c>group-cert</c>.</summary>
    public const string TypeName = "group-cert";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="groupId">The group id.</param>
    /// <param name="groupKind"><see cref="GroupKinds"/>.</param>
    /// <param name="encFpr">The fingerprint of the group keyset's RSA-OAEP public key.</param>
    /// <param name="sigFpr">The fingerprint of the group keyset's ECDSA P-256 public key.</param>
    /// <param name="keysetId">The group keyset id.</param>
    /// <param name="keysetSerial">The group keyset serial.</param>
    /// <param name="issuerId">The id of the issuer that signs.</param>
    /// <param name="issuedAt">When the certificate was signed (Unix ms).</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public GroupCertTbs(string orgId, string groupId, string groupKind, Fingerprint encFpr, Fingerprint sigFpr, string keysetId, long keysetSerial, string issuerId, long issuedAt)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        GroupId = TbsFields.Id(groupId, nameof(groupId));
        GroupKind = TbsFields.OneOf(groupKind, nameof(groupKind), GroupKinds.Owners, GroupKinds.Administrators, GroupKinds.TeamMembers, GroupKinds.Guests, GroupKinds.ProvisionManagers, GroupKinds.Recovery, GroupKinds.Custom);
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

    /// <summary>The group id.</summary>
    public string GroupId { get; }

    /// <summary><see cref="GroupKinds"/>.</summary>
    public string GroupKind { get; }

    /// <summary>The fingerprint of the group keyset's RSA-OAEP public key.</summary>
    public Fingerprint EncFpr { get; }

    /// <summary>The fingerprint of the group keyset's ECDSA P-256 public key.</summary>
    public Fingerprint SigFpr { get; }

    /// <summary>The group keyset id.</summary>
    public string KeysetId { get; }

    /// <summary>The group keyset serial.</summary>
    public long KeysetSerial { get; }

    /// <summary>The id of the issuer that signs.</summary>
    public string IssuerId { get; }

    /// <summary>When the certificate was signed (Unix ms).</summary>
    public long IssuedAt { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Text(GroupId)
        .Text(GroupKind)
        .Bytes(EncFpr.AsSpan())
        .Bytes(SigFpr.AsSpan())
        .Text(KeysetId)
        .Number(KeysetSerial)
        .Text(IssuerId)
        .Number(IssuedAt);
}
