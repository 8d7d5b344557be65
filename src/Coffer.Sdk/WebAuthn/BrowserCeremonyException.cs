using Coffer.Sdk.Errors;

namespace Coffer.Sdk.WebAuthn;

/// <summary>
/// A security-key ceremony in the browser ended without a credential: it timed out, the browser refused (the person
/// cancelled, no key answered, the key was already registered…), or the page sent something unreadable.
/// </summary>
public sealed class BrowserCeremonyException : CofferException
{
    /// <summary>Creates the exception with a default message.</summary>
    public BrowserCeremonyException()
        : this(BrowserCeremonyFailure.Malformed, null)
    {
    }

    /// <summary>Creates the exception with a message for a person.</summary>
    public BrowserCeremonyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    public BrowserCeremonyException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="failure"/>.</summary>
    /// <param name="failure">Why the ceremony ended.</param>
    /// <param name="browserError">The DOMException name the page reported, for <see cref="BrowserCeremonyFailure.Refused"/>.</param>
    public BrowserCeremonyException(BrowserCeremonyFailure failure, string? browserError)
        : base(MessageFor(failure, browserError))
    {
        Failure = failure;
        BrowserError = browserError;
    }

    /// <summary>Why the ceremony ended.</summary>
    public BrowserCeremonyFailure Failure { get; } = BrowserCeremonyFailure.Malformed;

    /// <summary>The browser's DOMException name (such as <c>NotAllowedError</c>), when it refused.</summary>
    public string? BrowserError { get; }

    private static string MessageFor(BrowserCeremonyFailure failure, string? browserError) => failure switch
    {
        BrowserCeremonyFailure.TimedOut => "No answer came from the browser in time; the one-time address is closed.",
        BrowserCeremonyFailure.Refused => browserError == "InvalidStateError"
            ? "The browser refused: this security key is already registered."
            : $"The browser did not use a security key ({browserError ?? "no reason given"}): it was cancelled, timed out or no key answered.",
        _ => "The browser page sent an answer Coffer cannot read.",
    };
}
