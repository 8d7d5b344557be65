namespace Coffer.Sdk.Errors;

/// <summary>
/// The account's keys did not open: the password or the Secret Key is wrong (or the sealed keyset
/// is not this account's). One failure with no finer reason, as PROTOCOL.md §4 requires of
/// decryption failures.
/// </summary>
public class UnlockFailedException : CofferException
{
    /// <summary>Creates the exception with the standard message.</summary>
    public UnlockFailedException()
        : base("Could not unlock your account: the password or the Secret Key is wrong.")
    {
    }

    /// <summary>Creates the exception with a message for a person.</summary>
    public UnlockFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    public UnlockFailedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
