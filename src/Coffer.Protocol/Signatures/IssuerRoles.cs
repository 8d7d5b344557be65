namespace Coffer.Protocol.Signatures;

/// <summary>The roles an issuer certificate grants (PROTOCOL.md §5.1–5.2, <c>issuer</c>).</summary>
public static class IssuerRoles
{
    /// <summary>An administrator's issuer key, held in their keyset.</summary>
    public const string Admin = "admin";

    /// <summary>A SCIM bridge's issuer key.</summary>
    public const string Provisioning = "provisioning";
}
