namespace Coffer.Protocol.Signatures;

/// <summary>
/// A statement signed with ECDSA P-256 (PROTOCOL.md §5.2): its type, its tag
/// <c>coffer/sig/&lt;type&gt;/v1</c> and its exact to-be-signed bytes. Each derived record checks its
/// fields when constructed, so a record that exists has exactly one TBS.
/// </summary>
public abstract record TbsRecord
{
    private protected TbsRecord()
    {
    }

    /// <summary>The signature type as in §5.2's table, e.g. <c>member-cert</c>.</summary>
    public abstract string Type { get; }

    /// <summary>The ASCII tag that starts the TBS: <c>coffer/sig/&lt;type&gt;/v1</c>.</summary>
    public string Tag => "coffer/sig/" + Type + "/v1";

    /// <summary>The bytes that are signed: the tag, then every field with a 2-byte big-endian length, in table order.</summary>
    public byte[] ToBeSigned()
    {
        TbsWriter writer = new(Tag);
        WriteFields(writer);
        return writer.ToArray();
    }

    /// <summary>Signs <see cref="ToBeSigned"/> with <paramref name="key"/>: a 64-byte P1363 signature.</summary>
    public byte[] Sign(EcdsaP256PrivateKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Sign(ToBeSigned());
    }

    /// <summary>True when <paramref name="signature"/> is <paramref name="key"/>'s signature over <see cref="ToBeSigned"/>.</summary>
    public bool Verify(EcdsaP256PublicKey key, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Verify(ToBeSigned(), signature);
    }

    private protected abstract void WriteFields(TbsWriter writer);
}
