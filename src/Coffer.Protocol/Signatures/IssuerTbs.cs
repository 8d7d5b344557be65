namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>issuer</c> (PROTOCOL.md §5.2): an issuer certificate, signed by the root: a key that may sign member and group certificates (§5.1).
/// Fields, in TBS order: orgId, issuerId, role, holderId, issuerFpr, issuedAt, expiresAt.
/// </summary>
public sealed record IssuerTbs : TbsRecord
{
    /// <summary>The type name, <c>issuer</c>.</summary>
    public const string TypeName = "issuer";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="issuerId">The issuer id; never reused once revoked.</param>
    /// <param name="role"><see cref="IssuerRoles"/>: <c>admin</c> or <c>provisioning</c>.</param>
    /// <param name="holderId">The administrator member or SCIM bridge that holds the key.</param>
    /// <param name="issuerFpr">The issuer key's fingerprint.</param>
    /// <param name="issuedAt">When the certificate was signed (Unix ms).</param>
    /// <param name="expiresAt">When it expires (Unix ms); the certificate-chain check refuses more than 90 days after issuedAt.</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public IssuerTbs(string orgId, string issuerId, string role, string holderId, Fingerprint issuerFpr, long issuedAt, long expiresAt)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        IssuerId = TbsFields.Id(issuerId, nameof(issuerId));
        Role = TbsFields.OneOf(role, nameof(role), IssuerRoles.Admin, IssuerRoles.Provisioning);
        HolderId = TbsFields.Id(holderId, nameof(holderId));
        IssuerFpr = TbsFields.Fpr(issuerFpr, nameof(issuerFpr));
        IssuedAt = TbsFields.Number(issuedAt, nameof(issuedAt));
        ExpiresAt = TbsFields.Number(expiresAt, nameof(expiresAt));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The issuer id; never reused once revoked.</summary>
    public string IssuerId { get; }

    /// <summary><see cref="IssuerRoles"/>: <c>admin</c> or <c>provisioning</c>.</summary>
    public string Role { get; }

    /// <summary>The administrator member or SCIM bridge that holds the key.</summary>
    public string HolderId { get; }

    /// <summary>The issuer key's fingerprint.</summary>
    public Fingerprint IssuerFpr { get; }

    /// <summary>When the certificate was signed (Unix ms).</summary>
    public long IssuedAt { get; }

    /// <summary>When it expires (Unix ms); the certificate-chain check refuses more than 90 days after issuedAt.</summary>
    public long ExpiresAt { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Text(IssuerId)
        .Text(Role)
        .Text(HolderId)
        .Bytes(IssuerFpr.AsSpan())
        .Number(IssuedAt)
        .Number(ExpiresAt);
}
