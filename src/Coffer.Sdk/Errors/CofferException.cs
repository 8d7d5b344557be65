namespace Coffer.Sdk.Errors;

/// <summary>
/// The base of every failure the SDK reports on purpose. Messages are written for a person and
/// never contain a secret (password, Secret Key, key material, item content).
/// </summary>
public abstract class CofferException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    protected CofferException()
        : base("Coffer could not complete the operation.")
    {
    }

    /// <summary>Creates the exception with a message for a person.</summary>
    protected CofferException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    protected CofferException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
