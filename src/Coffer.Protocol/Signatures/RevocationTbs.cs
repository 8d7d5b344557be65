namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>revocation</c> (PROTOCOL.md §5.2): the revocation list, signed by the root or an issuer (§5.1).
/// Fields, in TBS order: orgId, listVersion, issuedAt, the entry count, then one field per entry
/// (<see cref="RevocationEntry.ToFieldText"/>), in list order.
/// </summary>
public sealed record RevocationTbs : TbsRecord
{
    /// <summary>The type name, <c>revocation</c>.</summary>
    public const string TypeName = "revocation";

    private readonly RevocationEntry[] _entries;

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="orgId">The organisation id.</param>
    /// <param name="listVersion">The list version; clients refuse older ones.</param>
    /// <param name="issuedAt">When the list was signed (Unix ms); clients refuse to wrap while it is over 24 hours old.</param>
    /// <param name="entries">The revoked certificates, in the order they are signed; no duplicates.</param>
    /// <exception cref="ArgumentException">A field is malformed, or an entry is null or repeated.</exception>
    public RevocationTbs(string orgId, long listVersion, long issuedAt, IEnumerable<RevocationEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        OrgId = TbsFields.Id(orgId, nameof(orgId));
        ListVersion = TbsFields.Number(listVersion, nameof(listVersion));
        IssuedAt = TbsFields.Number(issuedAt, nameof(issuedAt));
        _entries = [.. entries];
        HashSet<RevocationEntry> seen = [];
        foreach (RevocationEntry? entry in _entries)
        {
            if (entry is null || !seen.Add(entry))
            {
                throw new ArgumentException("Revocation entries are non-null and distinct.", nameof(entries));
            }
        }
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The organisation id.</summary>
    public string OrgId { get; }

    /// <summary>The list version.</summary>
    public long ListVersion { get; }

    /// <summary>When the list was signed (Unix ms).</summary>
    public long IssuedAt { get; }

    /// <summary>The revoked certificates, in signed order.</summary>
    public IReadOnlyList<RevocationEntry> Entries => _entries;

    /// <inheritdoc/>
    public bool Equals(RevocationTbs? other) =>
        other is not null
        && OrgId == other.OrgId
        && ListVersion == other.ListVersion
        && IssuedAt == other.IssuedAt
        && _entries.AsSpan().SequenceEqual(other._entries);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(OrgId, ListVersion, IssuedAt, _entries.Length);

    private protected override void WriteFields(TbsWriter writer)
    {
        writer.Text(OrgId).Number(ListVersion).Number(IssuedAt).Number(_entries.Length);
        foreach (RevocationEntry entry in _entries)
        {
            writer.Text(entry.ToFieldText());
        }
    }
}
