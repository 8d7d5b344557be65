using System.Security.Cryptography;

namespace Coffer.Protocol.WebAuthn;

/// <summary>
/// Relying-party verification of WebAuthn Level 2 ceremonies: registration (§7.1) and authentication
/// (§7.2) for one RP id and one exact origin. Credential keys are ES256 or RS256 (<see cref="CoseKey"/>);
/// attestation is <c>none</c> (empty statement) or <c>packed</c> self attestation (§8.2: no x5c, alg
/// equal to the credential key's, signature by the credential key over authenticatorData ‖
/// SHA-256(clientDataJSON)). Full attestation (x5c) and every other format are refused as unsupported,
/// since Coffer does not judge authenticator models.
/// </summary>
/// <remarks>
/// Input from the client never throws: malformed input is <see cref="WebAuthnFailure.Malformed"/>.
/// Only misuse by the caller (an empty challenge, a null key) throws <see cref="ArgumentException"/>.
/// The relying party checks the credential id against the user's credentials itself, before calling
/// <see cref="VerifyAssertion"/> with that credential's stored key and counter.
/// </remarks>
public sealed class WebAuthnRelyingParty
{
    /// <summary>Shortest challenge accepted from the caller: WebAuthn L2 §13.4.3 asks for at least 16 random bytes.</summary>
    public const int MinChallengeSize = 16;

    private const string FormatNone = "none";
    private const string FormatPacked = "packed";

    private readonly byte[] _rpIdHash;

    /// <summary>Creates a verifier for <paramref name="rpId"/> and <paramref name="origin"/>.</summary>
    /// <param name="rpId">The RP id, a registrable domain such as <c>coffer.example</c> or <c>localhost</c>.</param>
    /// <param name="origin">The exact origin pages are served from, such as <c>https://coffer.example</c>
    /// or <c>http://localhost:5000</c>: scheme, host and optional port, no path.</param>
    /// <exception cref="ArgumentException">Empty RP id, or an origin that is not a bare http(s) origin.</exception>
    public WebAuthnRelyingParty(string rpId, string origin)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rpId);
        ArgumentException.ThrowIfNullOrWhiteSpace(origin);
        if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri)
            || uri.Scheme is not ("https" or "http")
            || !string.Equals(uri.GetLeftPart(UriPartial.Authority), origin, StringComparison.Ordinal))
        {
            throw new ArgumentException("The origin must be scheme://host[:port] with no path.", nameof(origin));
        }
        RpId = rpId;
        Origin = origin;
        _rpIdHash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(rpId));
    }

    /// <summary>The RP id.</summary>
    public string RpId { get; }

    /// <summary>The expected origin.</summary>
    public string Origin { get; }

    /// <summary>
    /// Verifies a registration (§7.1): clientDataJSON type <c>webauthn.create</c>, the challenge, the
    /// origin and no cross-origin; then the attestation object {fmt, attStmt, authData}: rpIdHash, UP,
    /// UV when <paramref name="requireUserVerification"/>, attested credential data, and the statement.
    /// </summary>
    /// <param name="attestationObject">The response's attestationObject.</param>
    /// <param name="clientDataJson">The response's clientDataJSON.</param>
    /// <param name="expectedChallenge">The challenge this relying party issued for the ceremony.</param>
    /// <param name="requireUserVerification">Whether policy demands user verification.</param>
    /// <exception cref="ArgumentException">The expected challenge is shorter than <see cref="MinChallengeSize"/>.</exception>
    public WebAuthnRegistrationResult VerifyRegistration(ReadOnlySpan<byte> attestationObject, ReadOnlySpan<byte> clientDataJson,
        ReadOnlySpan<byte> expectedChallenge, bool requireUserVerification)
    {
        CheckChallenge(expectedChallenge);
        try
        {
            WebAuthnFailure clientFailure = CheckClientData(clientDataJson, CollectedClientData.TypeCreate, expectedChallenge);
            if (clientFailure != WebAuthnFailure.None)
            {
                return WebAuthnRegistrationResult.Refused(clientFailure);
            }
            CborValue attestation = Cbor.Decode(attestationObject);
            if (attestation.Entries.Count != 3)
            {
                throw new WebAuthnFormatException("The attestation object must hold exactly fmt, attStmt and authData.");
            }
            string format = attestation.Required("fmt").Text;
            CborValue statement = attestation.Required("attStmt");
            if (statement.Kind != CborKind.Map)
            {
                throw new WebAuthnFormatException("attStmt is not a CBOR map.");
            }
            ReadOnlySpan<byte> rawAuthData = attestation.Required("authData").Bytes;
            AuthenticatorData authData = AuthenticatorData.Parse(rawAuthData);
            WebAuthnFailure authFailure = CheckAuthenticatorData(authData, requireUserVerification);
            if (authFailure != WebAuthnFailure.None)
            {
                return WebAuthnRegistrationResult.Refused(authFailure);
            }
            if (authData.AttestedCredential is not AttestedCredentialData attested)
            {
                return WebAuthnRegistrationResult.Refused(WebAuthnFailure.MissingCredentialData);
            }
            WebAuthnFailure statementFailure = format switch
            {
                FormatNone => statement.Entries.Count == 0 ? WebAuthnFailure.None : WebAuthnFailure.Malformed,
                FormatPacked => CheckPackedSelf(statement, attested.CredentialPublicKey, rawAuthData, clientDataJson),
                _ => WebAuthnFailure.UnsupportedAttestation,
            };
            return statementFailure == WebAuthnFailure.None
                ? WebAuthnRegistrationResult.Verified(new RegisteredCredential(attested, authData.SignCount, authData.Flags, format))
                : WebAuthnRegistrationResult.Refused(statementFailure);
        }
        catch (WebAuthnFormatException)
        {
            return WebAuthnRegistrationResult.Refused(WebAuthnFailure.Malformed);
        }
    }

    /// <summary>
    /// Verifies an assertion (§7.2) against a stored credential: clientDataJSON type
    /// <c>webauthn.get</c>, challenge, origin, no cross-origin; rpIdHash, UP, UV when
    /// <paramref name="requireUserVerification"/>; the signature over authenticatorData ‖
    /// SHA-256(clientDataJSON); and the counter: when the stored or the new value is non-zero, the new
    /// one must be greater (§6.1.1), otherwise the assertion is refused as a possible clone.
    /// </summary>
    /// <param name="authenticatorData">The response's authenticatorData.</param>
    /// <param name="clientDataJson">The response's clientDataJSON.</param>
    /// <param name="signature">The response's signature.</param>
    /// <param name="expectedChallenge">The challenge this relying party issued for the ceremony.</param>
    /// <param name="credentialPublicKey">The stored key of the credential the response names.</param>
    /// <param name="storedSignCount">The stored signature counter of that credential.</param>
    /// <param name="requireUserVerification">Whether policy demands user verification.</param>
    /// <exception cref="ArgumentException">A short expected challenge or a null key.</exception>
    public WebAuthnAssertionResult VerifyAssertion(ReadOnlySpan<byte> authenticatorData, ReadOnlySpan<byte> clientDataJson,
        ReadOnlySpan<byte> signature, ReadOnlySpan<byte> expectedChallenge, CoseKey credentialPublicKey, uint storedSignCount,
        bool requireUserVerification)
    {
        CheckChallenge(expectedChallenge);
        ArgumentNullException.ThrowIfNull(credentialPublicKey);
        try
        {
            WebAuthnFailure clientFailure = CheckClientData(clientDataJson, CollectedClientData.TypeGet, expectedChallenge);
            if (clientFailure != WebAuthnFailure.None)
            {
                return WebAuthnAssertionResult.Refused(clientFailure);
            }
            AuthenticatorData authData = AuthenticatorData.Parse(authenticatorData);
            WebAuthnFailure authFailure = CheckAuthenticatorData(authData, requireUserVerification);
            if (authFailure != WebAuthnFailure.None)
            {
                return WebAuthnAssertionResult.Refused(authFailure);
            }
            if (!credentialPublicKey.Verify(SignedData(authenticatorData, clientDataJson), signature))
            {
                return WebAuthnAssertionResult.Refused(WebAuthnFailure.SignatureInvalid);
            }
            if ((storedSignCount != 0 || authData.SignCount != 0) && authData.SignCount <= storedSignCount)
            {
                return WebAuthnAssertionResult.Refused(WebAuthnFailure.CounterRegression);
            }
            return WebAuthnAssertionResult.Verified(authData.SignCount, authData.Flags);
        }
        catch (WebAuthnFormatException)
        {
            return WebAuthnAssertionResult.Refused(WebAuthnFailure.Malformed);
        }
    }

    private static void CheckChallenge(ReadOnlySpan<byte> expectedChallenge)
    {
        if (expectedChallenge.Length < MinChallengeSize)
        {
            throw new ArgumentException("The expected challenge must be at least 16 bytes.", nameof(expectedChallenge));
        }
    }

    private WebAuthnFailure CheckClientData(ReadOnlySpan<byte> clientDataJson, string expectedType, ReadOnlySpan<byte> expectedChallenge)
    {
        CollectedClientData clientData = CollectedClientData.Parse(clientDataJson);
        if (!string.Equals(clientData.Type, expectedType, StringComparison.Ordinal))
        {
            return WebAuthnFailure.TypeMismatch;
        }
        if (!CryptographicOperations.FixedTimeEquals(clientData.Challenge, expectedChallenge))
        {
            return WebAuthnFailure.ChallengeMismatch;
        }
        if (!string.Equals(clientData.Origin, Origin, StringComparison.Ordinal))
        {
            return WebAuthnFailure.OriginMismatch;
        }
        return clientData.CrossOrigin ? WebAuthnFailure.CrossOrigin : WebAuthnFailure.None;
    }

    private WebAuthnFailure CheckAuthenticatorData(AuthenticatorData authData, bool requireUserVerification)
    {
        if (!CryptographicOperations.FixedTimeEquals(authData.RpIdHash, _rpIdHash))
        {
            return WebAuthnFailure.RpIdMismatch;
        }
        if (!authData.UserPresent)
        {
            return WebAuthnFailure.UserNotPresent;
        }
        return requireUserVerification && !authData.UserVerified ? WebAuthnFailure.UserNotVerified : WebAuthnFailure.None;
    }

    /// <summary>Packed self attestation (§8.2 verification procedure, the "self attestation" branch).</summary>
    private static WebAuthnFailure CheckPackedSelf(CborValue statement, CoseKey credentialKey, ReadOnlySpan<byte> rawAuthData,
        ReadOnlySpan<byte> clientDataJson)
    {
        if (statement.TryGetValue("x5c", out _) || statement.TryGetValue("ecdaaKeyId", out _))
        {
            return WebAuthnFailure.UnsupportedAttestation;
        }
        if (statement.Entries.Count != 2)
        {
            throw new WebAuthnFormatException("A packed self attestation statement holds exactly alg and sig.");
        }
        long alg = statement.Required("alg").ToInt64();
        ReadOnlySpan<byte> signature = statement.Required("sig").Bytes;
        if (alg != (long)credentialKey.Algorithm)
        {
            return WebAuthnFailure.AlgorithmMismatch;
        }
        return credentialKey.Verify(SignedData(rawAuthData, clientDataJson), signature)
            ? WebAuthnFailure.None
            : WebAuthnFailure.SignatureInvalid;
    }

    /// <summary>authenticatorData ‖ SHA-256(clientDataJSON), what both attestation and assertion signatures cover.</summary>
    private static byte[] SignedData(ReadOnlySpan<byte> authenticatorData, ReadOnlySpan<byte> clientDataJson)
    {
        byte[] signed = new byte[authenticatorData.Length + SHA256.HashSizeInBytes];
        authenticatorData.CopyTo(signed);
        SHA256.HashData(clientDataJson, signed.AsSpan(authenticatorData.Length));
        return signed;
    }
}
