namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>recovery-request</c> (PROTOCOL.md §5.2): an administrator's request to recover a member (§10).
/// Fields, in TBS order: orgId, requestId, memberId, initiatorId, expiresAt.
/// </summary>
public sealed record RecoveryRequestTbs : TbsRecord
{
    /// <summary>The type name, <c>recovery-request</c>.</summary>
    public const string TypeName = "recovery-request";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="requestId">The recovery request id.</param>
    /// <param name="memberId">The member to recover.</param>
    /// <param name="initiatorId">The administrator who starts the recovery and signs.</param>
    /// <param name="expiresAt">When the request expires (Unix ms).</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public RecoveryRequestTbs(string orgId, string requestId, string memberId, string initiatorId, long expiresAt)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        RequestId = TbsFields.Id(requestId, nameof(requestId));
        MemberId = TbsFields.Id(memberId, nameof(memberId));
        InitiatorId = TbsFields.Id(initiatorId, nameof(initiatorId));
        ExpiresAt = TbsFields.Number(expiresAt, nameof(expiresAt));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The recovery request id.</summary>
    public string RequestId { get; }

    /// <summary>The member to recover.</summary>
    public string MemberId { get; }

    /// <summary>The administrator who starts the recovery and signs.</summary>
    public string InitiatorId { get; }

    /// <summary>When the request expires (Unix ms).</summary>
    public long ExpiresAt { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Text(RequestId)
        .Text(MemberId)
        .Text(InitiatorId)
        .Number(ExpiresAt);
}
