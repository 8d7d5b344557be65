namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>recovery-approval</c> (PROTOCOL.md §5.2): an approver's approval of the member's new keys in a recovery (§10).
/// Fields, in TBS order: orgId, requestId, memberId, newEncFpr, newSigFpr, approverId, approvedAt.
/// </summary>
public sealed record RecoveryApprovalTbs : TbsRecord
{
    /// <summary>The type name, <c>recovery-approval</c>.</summary>
    public const string TypeName = "recovery-approval";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="requestId">The recovery request id.</param>
    /// <param name="memberId">The member being recovered.</param>
    /// <param name="newEncFpr">The fingerprint of the member's new RSA-OAEP key.</param>
    /// <param name="newSigFpr">The fingerprint of the member's new ECDSA P-256 key.</param>
    /// <param name="approverId">The approver who signs.</param>
    /// <param name="approvedAt">When the approval was signed (Unix ms).</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public RecoveryApprovalTbs(string orgId, string requestId, string memberId, Fingerprint newEncFpr, Fingerprint newSigFpr, string approverId, long approvedAt)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        RequestId = TbsFields.Id(requestId, nameof(requestId));
        MemberId = TbsFields.Id(memberId, nameof(memberId));
        NewEncFpr = TbsFields.Fpr(newEncFpr, nameof(newEncFpr));
        NewSigFpr = TbsFields.Fpr(newSigFpr, nameof(newSigFpr));
        ApproverId = TbsFields.Id(approverId, nameof(approverId));
        ApprovedAt = TbsFields.Number(approvedAt, nameof(approvedAt));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The recovery request id.</summary>
    public string RequestId { get; }

    /// <summary>The member being recovered.</summary>
    public string MemberId { get; }

    /// <summary>The fingerprint of the member's new RSA-OAEP key.</summary>
    public Fingerprint NewEncFpr { get; }

    /// <summary>The fingerprint of the member's new ECDSA P-256 key.</summary>
    public Fingerprint NewSigFpr { get; }

    /// <summary>The approver who signs.</summary>
    public string ApproverId { get; }

    /// <summary>When the approval was signed (Unix ms).</summary>
    public long ApprovedAt { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Text(RequestId)
        .Text(MemberId)
        .Bytes(NewEncFpr.AsSpan())
        .Bytes(NewSigFpr.AsSpan())
        .Text(ApproverId)
        .Number(ApprovedAt);
}
