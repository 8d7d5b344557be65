namespace Coffer.Sdk.WebAuthn;

/// <summary>Why a browser ceremony ended without a credential.</summary>
public enum BrowserCeremonyFailure
{
    /// <summary>No result came back before the ceremony's time ran out.</summary>
    TimedOut,

    /// <summary>The browser refused or the person cancelled (the page sent a DOMException name).</summary>
    Refused,

    /// <summary>The page sent something that is not a credential in the contracts' form.</summary>
    Malformed,
}
