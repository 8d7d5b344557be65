namespace Coffer.Protocol.Signatures;

/// <summary>
/// <c>wrap</c> (PROTOCOL.md §5.2): a signed wrap: who wrapped which key to whom (§5.1). The recipient builds it from what it asked for.
/// Fields, in TBS order: objectKind, objectId, keySerial, recipientId, recipientEncFpr, wrapHash, signerId.
/// </summary>
public sealed record WrapTbs : TbsRecord
{
    /// <summary>The type name, <c>wrap</c>.</summary>
    public const string TypeName = "wrap";

    /// <summary>Checks every field; docs/protocol/signatures.md gives the encodings.</summary>
    /// <param name="objectKind"><see cref="WrapObjectKinds"/>: whose key is wrapped.</param>
    /// <param name="objectId">The id of that vault, group, item, organisation or recovery request.</param>
    /// <param name="keySerial">The serial of the wrapped key.</param>
    /// <param name="recipientId">The member or group the key is wrapped to.</param>
    /// <param name="recipientEncFpr">The fingerprint of the RSA-OAEP key it is wrapped to.</param>
    /// <param name="wrapHash">SHA-256 of the wrap ciphertext.</param>
    /// <param name="signerId">The member (or bridge) that wrapped and signs.</param>
    /// <exception cref="ArgumentException">A field is malformed (upper-case id, unknown kind, missing fingerprint, …).</exception>
    public WrapTbs(string objectKind, string objectId, long keySerial, string recipientId, Fingerprint recipientEncFpr, Sha256Hash wrapHash, string signerId)
    {
        ObjectKind = TbsFields.OneOf(objectKind, nameof(objectKind), WrapObjectKinds.Vault, WrapObjectKinds.Group, WrapObjectKinds.Item, WrapObjectKinds.Root, WrapObjectKinds.Recovery);
        ObjectId = TbsFields.Id(objectId, nameof(objectId));
        KeySerial = TbsFields.Number(keySerial, nameof(keySerial));
        RecipientId = TbsFields.Id(recipientId, nameof(recipientId));
        RecipientEncFpr = TbsFields.Fpr(recipientEncFpr, nameof(recipientEncFpr));
        WrapHash = TbsFields.Hash(wrapHash, nameof(wrapHash));
        SignerId = TbsFields.Id(signerId, nameof(signerId));
    }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary><see cref="WrapObjectKinds"/>: whose key is wrapped.</summary>
    public string ObjectKind { get; }

    /// <summary>The id of that vault, group, item, organisation or recovery request.</summary>
    public string ObjectId { get; }

    /// <summary>The serial of the wrapped key.</summary>
    public long KeySerial { get; }

    /// <summary>The member or group the key is wrapped to.</summary>
    public string RecipientId { get; }

    /// <summary>The fingerprint of the RSA-OAEP key it is wrapped to.</summary>
    public Fingerprint RecipientEncFpr { get; }

    /// <summary>SHA-256 of the wrap ciphertext.</summary>
    public Sha256Hash WrapHash { get; }

    /// <summary>The member (or bridge) that wrapped and signs.</summary>
    public string SignerId { get; }

    private protected override void WriteFields(TbsWriter writer) => writer
        .Text(ObjectKind)
        .Text(ObjectId)
        .Number(KeySerial)
        .Text(RecipientId)
        .Bytes(RecipientEncFpr.AsSpan())
        .Bytes(WrapHash.AsSpan())
        .Text(SignerId);
}
