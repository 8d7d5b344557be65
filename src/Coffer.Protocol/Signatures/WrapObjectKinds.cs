namespace Coffer.Protocol.Signatures;

/// <summary>Whose key a signed wrap carries (PROTOCOL.md §5.2, <c>wrap</c>): the kind names the wrapped key, not the recipient.</summary>
public static class WrapObjectKinds
{
    /// <summary>A vault key.</summary>
    public const string Vault = "vault";

    /// <summary>A group keyset's key.</summary>
    public const string Group = "group";

    /// <summary>An item key handed to a group (managed credentials, §12).</summary>
    public const string Item = "item";

    /// <summary>The organisation root's private key, handed to the Owners group (§5.1); the object id is the organisation id.</summary>
    public const string Root = "root";

    /// <summary>Key material handed over in an account recovery (§10); a vault key wrapped to the recovery group is <see cref="Vault"/> (docs/adr/0004).</summary>
    public const string Recovery = "recovery";
}
