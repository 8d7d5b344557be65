namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>policy</c> (PROTOCOL.md §5.2): a key-affecting policy, signed by the root (§5.1, §12).
/// Fields, in TBS order: orgId, policyKind, policyVersion, bodyHash, issuedAt.
/// </summary>
public sealed record PolicyTbs : TbsRecord
{
    /// <summary>The type name, <c>policy</c>.</summary>
    public const string TypeName = "policy";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="policyKind">The policy kind (a lower-case token, e.g. <c>web_signing</c>).</param>
    /// <param name="policyVersion">The policy version; clients refuse older ones.</param>
    /// <param name="bodyHash">SHA-256 of the policy body bytes exactly as stored.</param>
    /// <param name="issuedAt">When the policy was signed (Unix ms).</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public PolicyTbs(string orgId, string policyKind, long policyVersion, Sha256Hash bodyHash, long issuedAt)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        PolicyKind = TbsFields.Token(policyKind, nameof(policyKind));
        PolicyVersion = TbsFields.Number(policyVersion, nameof(policyVersion));
        BodyHash = TbsFields.Hash(bodyHash, nameof(bodyHash));
        IssuedAt = TbsFields.Number(issuedAt, nameof(issuedAt));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The policy kind (a lower-case token, e.g. <c>web_signing</c>).</summary>
    public string PolicyKind { get; }

    /// <summary>The policy version; clients refuse older ones.</summary>
    public long PolicyVersion { get; }

    /// <summary>SHA-256 of the policy body bytes exactly as stored.</summary>
    public Sha256Hash BodyHash { get; }

    /// <summary>When the policy was signed (Unix ms).</summary>
    public long IssuedAt { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Text(PolicyKind)
        .Number(PolicyVersion)
        .Bytes(BodyHash.AsSpan())
        .Number(IssuedAt);
}
