namespace Coffer.Protocol.WebAuthn;

/// <summary>
/// Thrown when CBOR, a COSE_Key, authenticator data or client data is malformed or outside the strict
/// subset Coffer accepts. The message names the rule that was broken, never the bytes themselves.
/// </summary>
public sealed class WebAuthnFormatException : FormatException
{
    /// <summary>Creates an exception with an empty message.</summary>
    public WebAuthnFormatException()
    {
    }

    /// <summary>Creates an exception naming the broken rule.</summary>
    /// <param name="message">What was wrong, without any of the input bytes.</param>
    public WebAuthnFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception naming the broken rule and the underlying cause.</summary>
    /// <param name="message">What was wrong, without any of the input bytes.</param>
    /// <param name="innerException">The cause.</param>
    public WebAuthnFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
