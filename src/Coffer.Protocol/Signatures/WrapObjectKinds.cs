namespace Coffer.Protocol.Signatures;

/// <summary>What a signed wrap carries the key of (PROTOCOL.md §5.2, <c>wrap</c>).</summary>
public static class WrapObjectKinds
{
    /// <summary>A vault key.</summary>
    public const string Vault = "vault";

    /// <summary>A group keyset's key.</summary>
    public const string Group = "group";

    /// <summary>An item key handed to a group (managed credentials, §12).</summary>
    public const string Item = "item";

    /// <summary>The organisation root's private key, wrapped to the Owners group.</summary>
    public const string Root = "root";

    /// <summary>A key wrapped to the recovery group (§10).</summary>
    public const string Recovery = "recovery";
}
