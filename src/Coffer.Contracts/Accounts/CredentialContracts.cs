using Coffer.Contracts.Auth;
using Coffer.Contracts.Common;

namespace Coffer.Contracts.Accounts;

/// <summary>What a credential change replaced (docs/adr/0017): the server cannot tell the two apart, so the client says.</summary>
public static class CredentialChangeKinds
{
    /// <summary>A new account password (the Secret Key stays).</summary>
    public const string Password = "password";

    /// <summary>A new Secret Key (the password stays).</summary>
    public const string SecretKey = "secret_key";
}

/// <summary>
/// <c>POST /api/v1/account/credentials</c>: a new password or Secret Key (PROTOCOL.md §2). New 2SKD parameters and SRP
/// verifier, and the keyset's symmetric key sealed under the new AUK; the keyset's keys, certificate, id and serial stay.
/// The session must have completed SRP within the last 5 minutes (<c>reauthentication-required</c> otherwise).
/// </summary>
/// <param name="Kind">One of <see cref="CredentialChangeKinds"/>: which secret changed (for the activity log and the mail).</param>
/// <param name="Kdf">The new 2SKD parameters: a fresh 16-byte salt, iterations never fewer than before nor than the floor.</param>
/// <param name="Verifier">The new SRP verifier v = g^x mod N, 512 bytes, base64url.</param>
/// <param name="KeysetId">The member's current keyset id.</param>
/// <param name="KeysetSerial">The member's current keyset serial.</param>
/// <param name="SealedSymmetricKey">The keyset's symmetric key under the new AUK (kid <c>auk</c>, context
/// <c>coffer/keyset/&lt;keysetId&gt;/s&lt;serial&gt;/sym</c>).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ChangeCredentialsRequest(
    [property: JsonRequired] string Kind,
    [property: JsonRequired] KdfDto Kdf,
    [property: JsonRequired] string Verifier,
    [property: JsonRequired] string KeysetId,
    [property: JsonRequired] int KeysetSerial,
    [property: JsonRequired] EnvelopeDto SealedSymmetricKey);

/// <summary>Answer to <c>POST /api/v1/account/credentials</c>.</summary>
/// <param name="EndedSessions">How many of the member's other sessions ended (the calling session stays).</param>
public sealed record ChangeCredentialsResponse([property: JsonRequired] int EndedSessions);

/// <summary>
/// <c>POST /api/v1/account/email</c>: asks to make <paramref name="NewEmail"/> the sign-in email. The server mails a one-time
/// confirmation token to that address; nothing changes until it is confirmed. Needs a session that completed SRP within the
/// last 5 minutes.
/// </summary>
/// <param name="NewEmail">The new address.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record EmailChangeRequest([property: JsonRequired] string NewEmail);

/// <summary>Answer to <c>POST /api/v1/account/email</c>: the confirmation mail went out.</summary>
/// <param name="ExpiresAt">When its token stops working (Unix ms).</param>
public sealed record EmailChangeResponse([property: JsonRequired] long ExpiresAt);

/// <summary><c>POST /api/v1/account/email/confirm</c>: the token from the confirmation mail, in the session of the member who asked.</summary>
/// <param name="Token">32 bytes, base64url, as mailed.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record EmailConfirmRequest([property: JsonRequired] string Token);

/// <summary>Answer to <c>POST /api/v1/account/email/confirm</c>: the sign-in email now.</summary>
/// <param name="Email">The new sign-in email, as stored.</param>
public sealed record EmailConfirmResponse([property: JsonRequired] string Email);
