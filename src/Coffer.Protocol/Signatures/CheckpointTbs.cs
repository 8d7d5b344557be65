namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>checkpoint</c> (PROTOCOL.md §5.2): an activity-log checkpoint, signed by the server's audit key (§11).
/// Fields, in TBS order: orgId, seq, chainHash, time.
/// </summary>
public sealed record CheckpointTbs : TbsRecord
{
    /// <summary>The type name, <c>checkpoint</c>.</summary>
    public const string TypeName = "checkpoint";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="seq">The sequence number of the last event covered.</param>
    /// <param name="chainHash">The chain hash at that sequence number.</param>
    /// <param name="time">When the checkpoint was signed (Unix ms).</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public CheckpointTbs(string orgId, long seq, Sha256Hash chainHash, long time)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        Seq = TbsFields.Number(seq, nameof(seq));
        ChainHash = TbsFields.Hash(chainHash, nameof(chainHash));
        Time = TbsFields.Number(time, nameof(time));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The sequence number of the last event covered.</summary>
    public long Seq { get; }

    /// <summary>The chain hash at that sequence number.</summary>
    public Sha256Hash ChainHash { get; }

    /// <summary>When the checkpoint was signed (Unix ms).</summary>
    public long Time { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Number(Seq)
        .Bytes(ChainHash.AsSpan())
        .Number(Time);
}
