namespace Coffer.Sdk.Errors;

/// <summary>The session is no longer valid (expired, ended, device revoked): sign in again.</summary>
public sealed class CofferSessionExpiredException : CofferException
{
    /// <summary>Creates the exception.</summary>
    public CofferSessionExpiredException()
        : base("The session has ended; sign in again.")
    {
    }
}
