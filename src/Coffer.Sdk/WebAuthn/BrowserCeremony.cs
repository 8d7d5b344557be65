using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Mfa;

namespace Coffer.Sdk.WebAuthn;

/// <summary>
/// Starts a security-key ceremony in the person's browser (docs/adr/0026, "Browser ceremony"): a one-time loopback
/// listener on 127.0.0.1 (RFC 8252 §7.3 style) with a 32-byte random state, and the address of the server's
/// <c>/webauthn</c> page carrying the listener's address in its fragment. The page fetches the options from the
/// listener, runs <c>navigator.credentials</c> and posts the result back; the session token never enters the browser.
/// </summary>
public static class BrowserCeremony
{
    /// <summary>How long a ceremony waits for the browser unless told otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Starts a registration: the page calls <c>navigator.credentials.create</c> with <paramref name="options"/>.</summary>
    /// <param name="server">The Coffer server's base address; its origin is the only one the listener answers.</param>
    /// <param name="options">The creation options the server gave.</param>
    /// <param name="purpose">A sentence the page shows, saying what the key is for.</param>
    /// <param name="timeout">How long to wait for the browser; <see cref="DefaultTimeout"/> when null.</param>
    /// <returns>The running ceremony: open its <see cref="BrowserCeremony{TCredential}.PageAddress"/>, then wait.</returns>
    public static BrowserCeremony<WebAuthnRegistrationCredentialDto> StartRegistration(Uri server, WebAuthnCreationOptionsDto options,
        string purpose, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new BrowserCeremony<WebAuthnRegistrationCredentialDto>(server, "create", purpose,
            w => JsonSerializer.Serialize(w, options, CofferJsonContext.Default.WebAuthnCreationOptionsDto),
            CofferJsonContext.Default.WebAuthnRegistrationCredentialDto, timeout ?? DefaultTimeout);
    }

    /// <summary>Starts an assertion: the page calls <c>navigator.credentials.get</c> with <paramref name="options"/>.</summary>
    /// <param name="server">The Coffer server's base address; its origin is the only one the listener answers.</param>
    /// <param name="options">The request options the server gave.</param>
    /// <param name="purpose">A sentence the page shows, saying what the key is for.</param>
    /// <param name="timeout">How long to wait for the browser; <see cref="DefaultTimeout"/> when null.</param>
    /// <returns>The running ceremony: open its <see cref="BrowserCeremony{TCredential}.PageAddress"/>, then wait.</returns>
    public static BrowserCeremony<WebAuthnAssertionCredentialDto> StartAssertion(Uri server, WebAuthnRequestOptionsDto options,
        string purpose, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new BrowserCeremony<WebAuthnAssertionCredentialDto>(server, "get", purpose,
            w => JsonSerializer.Serialize(w, options, CofferJsonContext.Default.WebAuthnRequestOptionsDto),
            CofferJsonContext.Default.WebAuthnAssertionCredentialDto, timeout ?? DefaultTimeout);
    }
}
