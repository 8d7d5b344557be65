namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>root-rotation</c> (PROTOCOL.md §5.2): a root rotation: the old root signs the new one (§5.1).
/// Fields, in TBS order: orgId, oldRootFpr, newRootFpr, issuedAt.
/// </summary>
public sealed record RootRotationTbs : TbsRecord
{
    /// <summary>The type name, <c>root-rotation</c>.</summary>
    public const string TypeName = "root-rotation";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="oldRootFpr">The fingerprint of the root being replaced (the signer).</param>
    /// <param name="newRootFpr">The fingerprint of the new root.</param>
    /// <param name="issuedAt">When the rotation was signed (Unix ms).</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public RootRotationTbs(string orgId, Fingerprint oldRootFpr, Fingerprint newRootFpr, long issuedAt)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        OldRootFpr = TbsFields.Fpr(oldRootFpr, nameof(oldRootFpr));
        NewRootFpr = TbsFields.Fpr(newRootFpr, nameof(newRootFpr));
        IssuedAt = TbsFields.Number(issuedAt, nameof(issuedAt));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The fingerprint of the root being replaced (the signer).</summary>
    public Fingerprint OldRootFpr { get; }

    /// <summary>The fingerprint of the new root.</summary>
    public Fingerprint NewRootFpr { get; }

    /// <summary>When the rotation was signed (Unix ms).</summary>
    public long IssuedAt { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Bytes(OldRootFpr.AsSpan())
        .Bytes(NewRootFpr.AsSpan())
        .Number(IssuedAt);
}
