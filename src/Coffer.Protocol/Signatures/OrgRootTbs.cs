namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>org-root</c> (PROTOCOL.md §5.2): the organisation root's self-description, signed by the new root key at setup (§5.1).
/// Fields, in TBS order: orgId, accountId, rootFpr, createdAt.
/// </summary>
public sealed record OrgRootTbs : TbsRecord
{
    /// <summary>The type name, <c>org-root</c>.</summary>
    public const string TypeName = "org-root";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="accountId">The organisation's account id, the 6 characters every Secret Key of the organisation carries (PROTOCOL.md §1).</param>
    /// <param name="rootFpr">The root key's fingerprint: the organisation fingerprint.</param>
    /// <param name="createdAt">When the root was made (Unix ms).</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public OrgRootTbs(string orgId, string accountId, Fingerprint rootFpr, long createdAt)
    {
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        AccountId = TbsFields.AccountId(accountId, nameof(accountId));
        RootFpr = TbsFields.Fpr(rootFpr, nameof(rootFpr));
        CreatedAt = TbsFields.Number(createdAt, nameof(createdAt));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The id of the first Owner, whose client made the root.</summary>
    public string AccountId { get; }

    /// <summary>The root key's fingerprint: the organisation fingerprint.</summary>
    public Fingerprint RootFpr { get; }

    /// <summary>When the root was made (Unix ms).</summary>
    public long CreatedAt { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(OrgId)
        .Text(AccountId)
        .Bytes(RootFpr.AsSpan())
        .Number(CreatedAt);
}
