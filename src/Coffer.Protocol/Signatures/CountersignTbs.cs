namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>countersign</c> (PROTOCOL.md §5.2): an administrator's countersignature of a checkpoint (§11).
/// Fields, in TBS order: orgId, seq, chainHash, signerId, time.
/// </summary>
public sealed record CountersignTbs : TbsRecord
{
    /// <summary>The type name, <c>countersign</c>.</summary>
    public const string TypeName = "countersign";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="seq">The checkpoint's sequence number.</param>
    /// <param name="chainHash">The checkpoint's chain hash.</param>
    /// <param name="signerId">The administrator who countersigns.</param>
    /// <param name="time">When the countersignature was made (Unix ms).</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public CountersignTbs(string orgId, long seq, Sha256Hash chainHash, string signerId, long time)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        Seq = TbsFields.Number(seq, nameof(seq));
        ChainHash = TbsFields.Hash(chainHash, nameof(chainHash));
        SignerId = TbsFields.Id(signerId, nameof(signerId));
        Time = TbsFields.Number(time, nameof(time));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The checkpoint's sequence number.</summary>
    public long Seq { get; }

    /// <summary>The checkpoint's chain hash.</summary>
    public Sha256Hash ChainHash { get; }

    /// <summary>The administrator who countersigns.</summary>
    public string SignerId { get; }

    /// <summary>When the countersignature was made (Unix ms).</summary>
    public long Time { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Number(Seq)
        .Bytes(ChainHash.AsSpan())
        .Text(SignerId)
        .Number(Time);
}
