namespace Coffer.Protocol.Signatures;

/// <summary>The kinds of certificate a revocation entry names (PROTOCOL.md §5.2, <c>revocation</c>; docs/adr/0004).</summary>
public static class CertKinds
{
    /// <summary>An issuer certificate; the entry revokes every certificate of that issuer id, and its serial is 0.</summary>
    public const string Issuer = "issuer";

    /// <summary>A member certificate for one keyset serial.</summary>
    public const string Member = "member";

    /// <summary>A group certificate for one keyset serial.</summary>
    public const string Group = "group";
}
