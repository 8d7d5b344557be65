namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>audit-key</c> (docs/adr/0016, proposed for PROTOCOL.md §5.2): the organisation root certifies the server's audit key,
/// the ECDSA P-256 key that signs activity-log checkpoints (§11). A type of its own, never an <c>issuer</c> role, so no
/// verifier can take the audit key for a key that certifies members. Fields, in TBS order: orgId, auditFpr, issuedAt.
/// There is no expiry: a newer certificate (a larger issuedAt, for any key) supersedes every older one.
/// </summary>
public sealed record AuditKeyTbs : TbsRecord
{
    /// <summary>The type name, <c>audit-key</c>.</summary>
    public const string TypeName = "audit-key";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="auditFpr">The audit key's fingerprint (SHA-256 of its canonical P-256 SPKI).</param>
    /// <param name="issuedAt">When the root signed it (Unix ms); the newest certificate names the current audit key.</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, missing fingerprint, …).</exception>
    public AuditKeyTbs(string orgId, Fingerprint auditFpr, long issuedAt)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        AuditFpr = TbsFields.Fpr(auditFpr, nameof(auditFpr));
        IssuedAt = TbsFields.Number(issuedAt, nameof(issuedAt));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The audit key's fingerprint.</summary>
    public Fingerprint AuditFpr { get; }

    /// <summary>When the root signed it (Unix ms).</summary>
    public long IssuedAt { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Bytes(AuditFpr.AsSpan())
        .Number(IssuedAt);
}
