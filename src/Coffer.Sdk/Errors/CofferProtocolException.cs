namespace Coffer.Sdk.Errors;

/// <summary>
/// The server's answer breaks the protocol: a malformed field (not base64url, a wrong length, an
/// unknown kind), a missing part, KDF parameters below the floor, or a key that does not open.
/// Under Coffer's threat model this may be an attack, so the client stops; the message says what
/// was wrong in terms a person can report, and never repeats a secret.
/// </summary>
public class CofferProtocolException : CofferException
{
    /// <summary>Creates the exception with a default message.</summary>
    public CofferProtocolException()
        : base("The server's answer does not follow the Coffer protocol.")
    {
    }

    /// <summary>Creates the exception with a message for a person.</summary>
    public CofferProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    public CofferProtocolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
